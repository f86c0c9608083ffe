"""Client cards of a partner: validation, search, links to premises, merging and personal data masking."""
