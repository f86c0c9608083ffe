"""Import and export of clients and premises (SPEC section 3): matching rules, the API pipeline, Excel/XML
files and the file jobs."""
