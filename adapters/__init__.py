"""Channel adapters: they translate messages in and replies out, and know nothing of intents."""
