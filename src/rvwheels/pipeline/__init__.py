"""Run a resolved plan: each package through its phases, in dependency order, published."""
