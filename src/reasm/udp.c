/* udp.c: UDP request/response pairs. A UDP flow keeps the first non-empty
 * datagram of each side (dir[].data), which is what nmap's UDP probes and
 * their match lines are about; later datagrams are only counted. The
 * server side was chosen when the flow was made (srvside.c: port evidence,
 * then the receiver of the first datagram). */
#include "svp/reasm/reasm.h"

void svp_udp_packet(struct svp_flowtab *ft, struct svp_ftent *e, enum svp_dir_id d,
                    const struct svp_pkt *p)
{
  struct svp_dir *D = &e->f.dir[d];
  if (D->len > 0 || p->paycap == 0)
    return; /* this side's first datagram is kept already (or this one is empty) */
  if (!svp_ft_deliver(ft, e, d, p->payload, p->paycap))
    return;
  if (p->paycap < p->paylen)
    svp_ft_gap(ft, e, d, p->paylen - p->paycap);
  /* Both sides have their first datagram: nothing more to collect. */
  if (e->f.dir[!d].len > 0)
    e->collecting = false;
}
