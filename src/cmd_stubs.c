/* cmd_stubs.c: SCAFFOLDING, removed as each command lands in its own file
 * (cmd_check.c, cmd_flows.c, cmd_inventory.c). */
#include "svp/cmd.h"

#include <stdio.h>

int svp_cmd_flows(const struct svp_config *cfg, struct svp_diag *diag)
{
  (void)cfg;
  (void)diag;
  fputs("svpassive: --flows is not built yet\n", stderr);
  return SVP_EXIT_FATAL;
}

int svp_cmd_inventory(const struct svp_config *cfg, struct svp_diag *diag)
{
  (void)cfg;
  (void)diag;
  fputs("svpassive: the inventory is not built yet\n", stderr);
  return SVP_EXIT_FATAL;
}
