/*
 * cli.h: the galgate commands.  Each takes the argument vector after the
 * command name and returns an exit status (enum gw_exit).
 */
#ifndef GW_CLI_H
#define GW_CLI_H

struct cli {
	const char	*conf_path;	/* -c, or the default */
	int		 conf_given;	/* -c was on the command line */
};

int	cmd_check(struct cli *, int, char **);
int	cmd_dn(struct cli *, int, char **);
int	cmd_init(struct cli *, int, char **);
int	cmd_journal(struct cli *, int, char **);
int	cmd_events(struct cli *, int, char **);
int	cmd_sync(struct cli *, int, char **);
int	cmd_status(struct cli *, int, char **);
int	cmd_reset(struct cli *, int, char **);
int	cmd_run(struct cli *, int, char **);

#endif
