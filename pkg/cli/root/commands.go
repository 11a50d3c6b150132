package root

// Each command package registers itself in its own file here,
// commands_<noun>.go, with an init that appends to subcommands.
