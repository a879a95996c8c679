"""Mail: templates, the outbox written in the action's transaction, and the background sender."""
