"""The resident's in-app notifications inbox: the list, read marks and the unread counter."""
