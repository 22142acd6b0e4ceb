"""The `callcenter` command line: `main` lists the commands; one module per group of commands."""
