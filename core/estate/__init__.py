"""The partner's estate: objects, premises, personal accounts, documents and the data feeds about them."""
