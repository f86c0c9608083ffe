"""Orders from the app: create a request (CRM-CLI-04), open one (APP-ORD-02), rate it."""
