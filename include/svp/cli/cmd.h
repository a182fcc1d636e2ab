/* cmd.h: the program's commands. main.c parses the command line into a
 * struct svp_config and calls one of these; each returns an exit status. */
#ifndef SVP_CMD_H
#define SVP_CMD_H

#include "svp/base/config.h"
#include "svp/base/diag.h"

enum svp_exit {
  SVP_EXIT_OK = 0,      /* done, every input and rule file read */
  SVP_EXIT_PARTIAL = 1, /* done, but something was rejected (see stderr) */
  SVP_EXIT_USAGE = 2,   /* bad command line */
  SVP_EXIT_FATAL = 3    /* nothing could be done (no rules, no readable input) */
};

/* --check-rules: load and compile, print figures and every error. */
int svp_cmd_check_rules(const struct svp_config *cfg, struct svp_diag *diag);

/* --flows: one line per flow from the capture layer. */
int svp_cmd_flows(const struct svp_config *cfg, struct svp_diag *diag);

/* default: the service inventory (passive, then active if asked). */
int svp_cmd_inventory(const struct svp_config *cfg, struct svp_diag *diag);

/* Set by main.c's SIGINT/SIGTERM handler; long loops poll it. */
extern volatile int svp_stop_requested;

#endif
