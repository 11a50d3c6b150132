package root

// Each command package is added here, one line each.
func init() {
	subcommands = append(subcommands)
}
