/* main: the one binary, `centralita SUBCOMMAND [-c CONF] ...`. Loads the configuration, then hands over. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/ami_options.h"
#include "app/config.h"
#include "cmd_ami.h"
#include "cmd_import_cdr.h"
#include "cmd_import_phones.h"
#include "cmd_users.h"
#include "routes.h"
#include "serve.h"

#define DEFAULT_CONF "/etc/centralita/centralita.conf"

static int cmd_serve(const struct config *cfg, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "--help") == 0) {
		printf("usage: centralita [-c CONF] serve\n"
		       "Runs the FastCGI daemon on [web] socket until SIGTERM or SIGINT.\n");
		return 0;
	}
	return serve_main(cfg);
}

static int cmd_routes(const struct config *cfg, int argc, char **argv)
{
	(void)cfg;
	if (argc >= 1 && strcmp(argv[0], "--help") == 0) {
		printf("usage: centralita routes\nPrints the route table: method, path, least role, csrf.\n");
		return 0;
	}
	for (size_t i = 0; i < route_count; i++)
		printf("%s %s %s %s\n", routes[i].method, routes[i].pattern,
		       routes[i].role == ROLE_NONE ? "public" : user_role_name(routes[i].role),
		       routes[i].csrf ? "csrf" : "-");
	return 0;
}

static int cmd_checkconfig(const struct config *cfg, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "--help") == 0) {
		printf("usage: centralita [-c CONF] check-config\n"
		       "Checks the configuration exactly as `serve` does before starting (values, required keys,\n"
		       "templates, the AMI TLS files); prints file:line: message and exits 1 at the first problem.\n");
		return 0;
	}
	/* The file was loaded (types and ranges) by main; the rest is serve's own start-up check, the same code. */
	struct serve_setup setup;
	char err[1024];
	if (serve_prepare(cfg, &setup, err, sizeof err) != 0) {
		fprintf(stderr, "centralita: %s\n", err);
		return 1;
	}
	serve_setup_free(&setup);
	printf("configuration OK\n");
	return 0;
}

static int cmd_ami_with_config(const struct config *cfg, int argc, char **argv)
{
	struct ami_options o;
	char err[512];
	bool help = argc >= 1 && strcmp(argv[0], "--help") == 0;
	if (!help && config_ami_options(cfg, &o, err, sizeof err) != 0) {
		fprintf(stderr, "centralita ami: %s\n", err);
		return 2;
	}
	return cmd_ami(&o, cfg->console_cli_allow, argc, argv);
}

static int cmd_config_get(const struct config *cfg, int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[0], "--help") == 0) {
		printf("usage: centralita [-c CONF] config-get SECTION KEY\n"
		       "Prints one configuration value (defaults included), for scripts.\n");
		return argc == 1 && strcmp(argv[0], "--help") == 0 ? 0 : 2;
	}
	char value[CONFIG_PATH_MAX];
	if (config_get(cfg, argv[0], argv[1], value, sizeof value) != 0) {
		fprintf(stderr, "centralita: no key '%s' in [%s]\n", argv[1], argv[0]);
		return 1;
	}
	printf("%s\n", value);
	return 0;
}

struct command {
	const char *name;
	int (*run)(const struct config *cfg, int argc, char **argv);
	const char *summary;
	bool needs_config;
};

static const struct command commands[] = {
	{ "serve", cmd_serve, "run the FastCGI daemon", true },
	{ "adduser", cmd_adduser, "NAME --role owner|integrator: create a user (password on stdin)", true },
	{ "passwd", cmd_passwd, "NAME: set a user's password (from stdin)", true },
	{ "migrate", cmd_migrate, "bring the database schema up to date", true },
	{ "firstuser", cmd_firstuser, "[NAME]: create the first integrator if there is no user", true },
	{ "ami", cmd_ami_with_config, "ACTION [Key=Value ...] | --events: talk to Asterisk's manager", true },
	{ "import-cdr", cmd_import_cdr, "FILE: add Asterisk's Master.csv calls to the history", true },
	{ "import-phones", cmd_import_phones, "FILE [--dry-run]: add or change phones from a CSV", true },
	{ "routes", cmd_routes, "print the route table", false },
	{ "config-get", cmd_config_get, "SECTION KEY: print one configuration value", true },
	{ "check-config", cmd_checkconfig, "load the configuration and report errors", true },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: centralita [-c CONF] COMMAND [ARGS]   (default CONF: %s)\n\ncommands:\n", DEFAULT_CONF);
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		fprintf(out, "  %-13s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n`centralita COMMAND --help` describes each.\n");
}

int main(int argc, char **argv)
{
	const char *conf = getenv("CENTRALITA_CONF") ? getenv("CENTRALITA_CONF") : DEFAULT_CONF;
	const char *name = NULL;
	char **rest = NULL;
	int rest_count = 0;
	/* -c may come before or after the command name. */
	char **args = calloc((size_t)argc + 1, sizeof *args);
	if (!args)
		return 1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "centralita: -c needs a file name\n");
				free(args);
				return 2;
			}
			conf = argv[++i];
		} else if (!name && (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)) {
			usage(stdout);
			free(args);
			return 0;
		} else if (!name) {
			name = argv[i];
		} else {
			args[rest_count++] = argv[i];
		}
	}
	rest = args;
	const struct command *cmd = NULL;
	for (size_t i = 0; name && i < sizeof commands / sizeof *commands; i++)
		if (strcmp(commands[i].name, name) == 0)
			cmd = &commands[i];
	if (!cmd) {
		if (name)
			fprintf(stderr, "centralita: unknown command '%s'\n", name);
		usage(stderr);
		free(args);
		return 2;
	}
	bool wants_help = rest_count > 0 && strcmp(rest[0], "--help") == 0;
	struct config cfg;
	config_defaults(&cfg);
	char err[1024];
	if (!wants_help && cmd->needs_config && config_load(&cfg, conf, err, sizeof err) != 0) {
		fprintf(stderr, "centralita: %s\n", err);
		free(args);
		return 1;
	}
	/* Before any command starts a thread: Asterisk's local times are read in [web] timezone from here on. */
	if (!wants_help && cmd->needs_config)
		config_apply_timezone(&cfg);
	int status = cmd->run(&cfg, rest_count, rest);
	free(args);
	return status;
}
