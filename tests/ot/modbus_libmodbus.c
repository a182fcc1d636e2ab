/* modbus_libmodbus.c: a libmodbus (Debian libmodbus5) Modbus/TCP server, or
 * a libmodbus client conversation, for the OT rule tests.
 *
 *   modbus_libmodbus server ADDR PORT     serve connections one at a time
 *   modbus_libmodbus client ADDR PORT     read registers and bits, report
 *                                         server id; exit 0 if all answered
 * Build: cc -o modbus_libmodbus modbus_libmodbus.c $(pkg-config --cflags --libs libmodbus) */
#include <modbus.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int serve(const char *addr, int port)
{
  modbus_t *ctx = modbus_new_tcp(addr, port);
  modbus_mapping_t *map = modbus_mapping_new(64, 64, 64, 64);
  if (!ctx || !map)
    return 1;
  for (int i = 0; i < 64; i++)
    map->tab_registers[i] = (uint16_t)(i * 7);
  int s = modbus_tcp_listen(ctx, 4);
  if (s < 0) {
    fprintf(stderr, "listen: %s\n", modbus_strerror(errno));
    return 1;
  }
  printf("ready\n");
  fflush(stdout);
  for (;;) {
    if (modbus_tcp_accept(ctx, &s) < 0)
      continue;
    uint8_t q[MODBUS_TCP_MAX_ADU_LENGTH];
    int n;
    while ((n = modbus_receive(ctx, q)) >= 0)
      if (n > 0)
        modbus_reply(ctx, q, n, map);
    close(modbus_get_socket(ctx));
  }
}

static int client(const char *addr, int port)
{
  modbus_t *ctx = modbus_new_tcp(addr, port);
  if (!ctx || modbus_connect(ctx) < 0)
    return 1;
  modbus_set_slave(ctx, 1);
  uint16_t regs[10];
  uint8_t bits[16], id[64];
  int ok = modbus_read_registers(ctx, 0, 10, regs) == 10 &&
           modbus_read_bits(ctx, 0, 16, bits) == 16 &&
           modbus_report_slave_id(ctx, sizeof id, id) > 0;
  modbus_close(ctx);
  modbus_free(ctx);
  return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
  if (argc != 4 || (strcmp(argv[1], "server") && strcmp(argv[1], "client"))) {
    fprintf(stderr, "usage: %s server|client ADDR PORT\n", argv[0]);
    return 2;
  }
  int port = atoi(argv[3]);
  return strcmp(argv[1], "server") == 0 ? serve(argv[2], port) : client(argv[2], port);
}
