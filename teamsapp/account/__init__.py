"""Account lifecycle (SPEC 13): the export of a user's data and the deletion of the account."""
