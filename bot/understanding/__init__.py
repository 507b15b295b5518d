"""Understanding: what a message says on its own (normalize → entities → ranking → acts)."""
