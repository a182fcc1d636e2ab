/* active_plan.c: which endpoints active mode may probe, and which probes it
 * sends them, in nmap's order (see active.h). No I/O here. */
#include "svp/active/active.h"

#include <string.h>

void svp_probe_iter_init(struct svp_probe_iter *it, const struct svp_ruleset *rs,
                         enum svp_l4 l4, uint16_t port, int intensity)
{
  memset(it, 0, sizeof *it);
  it->rs = rs;
  it->l4 = l4;
  it->port = port;
  it->intensity = intensity;
}

/* A probe of the list (phases 1 and 2): right protocol, something to send. */
static bool sendable(const struct svp_probe_iter *it, const struct svp_probe *p)
{
  return p->l4 == it->l4 && p->payload_len > 0;
}

const struct svp_probe *svp_probe_iter_next(struct svp_probe_iter *it,
                                            const char *soft_service)
{
  size_t n = svp_rules_n_probes(it->rs);
  if (it->phase == 0) {
    it->phase = 1;
    it->next = 0;
    const struct svp_probe *null = svp_rules_null_probe(it->rs);
    if (it->l4 == SVP_L4_TCP && null) {
      it->listed = false;
      return null;
    }
  }
  if (it->phase == 1) {
    /* nmap: every probe that lists the port, whatever its rarity, and
     * without the softmatch restriction (MATCHINGPROBES) */
    while (it->next < n) {
      const struct svp_probe *p = svp_rules_probe(it->rs, it->next++);
      if (sendable(it, p) && svp_portset_has(&p->ports, it->port)) {
        it->listed = true;
        return p;
      }
    }
    it->phase = 2;
    it->next = 0;
  }
  if (it->phase == 2) {
    while (it->next < n) {
      const struct svp_probe *p = svp_rules_probe(it->rs, it->next++);
      if (!sendable(it, p) || svp_portset_has(&p->ports, it->port) ||
          p->rarity > it->intensity)
        continue;
      if (soft_service && !svp_probe_has_service(p, soft_service))
        continue;
      it->listed = false;
      return p;
    }
    it->phase = 3;
  }
  return NULL;
}

const char *svp_active_why_name(enum svp_active_why w)
{
  static const char *const names[SVP_AW_COUNT] = {
    [SVP_AW_PROBE] = "probe",
    [SVP_AW_IDENTIFIED] = "already identified",
    [SVP_AW_SCOPE] = "out of scope",
    [SVP_AW_EXCLUDED] = "port excluded by the rules (see --allports)",
    [SVP_AW_CLOSED] = "not seen open",
    [SVP_AW_GUESS] = "server side only guessed (no handshake seen)",
    [SVP_AW_ADDRESS] = "multicast, broadcast or unspecified address",
    [SVP_AW_NOPROBE] = "no probe at this intensity",
  };
  return (unsigned)w < SVP_AW_COUNT ? names[w] : "?";
}

/* Addresses no unicast server can have. */
static bool bad_address(const struct svp_addr *a)
{
  static const uint8_t zero[16];
  if (a->family == 4) {
    if (memcmp(a->b, zero, 4) == 0)
      return true;                           /* 0.0.0.0 */
    if (a->b[0] >= 224)
      return true;                           /* multicast, reserved, broadcast */
    return false;
  }
  if (a->family == 6)
    return memcmp(a->b, zero, 16) == 0 || a->b[0] == 0xff; /* ::, multicast */
  return true;
}

enum svp_active_why svp_active_check(const struct svp_active_filter *f,
                                     const struct svp_endpoint *ep)
{
  if (ep->state != SVP_PS_OPEN)
    return SVP_AW_CLOSED;
  if (ep->res.verdict == SVP_HARD)
    return SVP_AW_IDENTIFIED;
  if (!svp_scope_contains(f->scope, &ep->addr))
    return SVP_AW_SCOPE;
  if (bad_address(&ep->addr))
    return SVP_AW_ADDRESS;
  /* TCP: the handshake shows the server. UDP has none: the endpoint
   * answered a datagram (it is open only then), which is as good. */
  if (ep->l4 == SVP_L4_TCP && (ep->flags & SVP_EF_SERVER_GUESS))
    return SVP_AW_GUESS;
  if (!f->allports && svp_rules_excluded(f->rs, ep->l4, ep->port))
    return SVP_AW_EXCLUDED;
  struct svp_probe_iter it;
  svp_probe_iter_init(&it, f->rs, ep->l4, ep->port, f->intensity);
  if (!svp_probe_iter_next(&it, NULL))
    return SVP_AW_NOPROBE;
  return SVP_AW_PROBE;
}

size_t svp_active_escape(const uint8_t *p, size_t n, char *out, size_t outsz)
{
  size_t need = 0, w = 0; /* bytes needed, bytes written (whole escapes only) */
  char tmp[8];
  for (size_t i = 0; i < n; i++) {
    uint8_t c = p[i];
    const char *s = tmp;
    if (c == '\\' || c == '"')
      snprintf(tmp, sizeof tmp, "\\%c", c);
    else if (c >= 0x20 && c < 0x7f)
      snprintf(tmp, sizeof tmp, "%c", c);
    else if (c == 0 && !(i + 1 < n && p[i + 1] >= '0' && p[i + 1] <= '9'))
      s = "\\0"; /* \x00 before a digit, so that the text reads back the same */
    else if (c == '\r')
      s = "\\r";
    else if (c == '\n')
      s = "\\n";
    else if (c == '\t')
      s = "\\t";
    else
      snprintf(tmp, sizeof tmp, "\\x%02x", c);
    size_t m = strlen(s);
    if (w == need && w + m < outsz) {
      memcpy(out + w, s, m);
      w += m;
    }
    need += m;
  }
  if (outsz)
    out[w] = '\0';
  return need;
}
