/*
 * daemon.h - `geowire run`: the consume -> process -> produce loop.
 */
#ifndef GEOWIRE_DAEMON_H
#define GEOWIRE_DAEMON_H

/* Entry point of `geowire run`; argv[0] is "run". Returns the process exit
 * code: 0 after a clean shutdown, 2 for a usage or config error, 1 for a
 * runtime failure. Logs to stderr. */
int gw_cmd_run(int argc, char **argv);

#endif
