"""Orders in the CRM: the feed from the partner's other products and the staff's orders inbox."""
