"""Session-state keys, in one place. Widget keys are namespaced by page: ``"<page>.<name>"``."""

CATALOG_DATABASE = "catalog.database"
CATALOG_TABLE = "catalog.table"
CATALOG_PENDING = "catalog.pending"  # (database, table, message) to select after an import

QUERY_SQL = "query.sql"
QUERY_DATABASE = "query.database"
QUERY_ID = "query.id"  # the execution whose result the Query page shows
QUERY_ERROR = "query.error"  # (message, hint) of the last failed run, shown above the kept SQL
QUERY_ESTIMATE = "query.estimate"  # ScanEstimate of the last run or estimate
QUERY_AUTORUN = "query.autorun"  # run the editor's SQL on this run ('Run again' from history)
QUERY_HISTORY_SEARCH = "query.history_search"
QUERY_SAVED = "query.saved"

TRAIN_DATABASE = "train.database"
TRAIN_TABLE = "train.table"

JOBS_SELECTED = "jobs.selected"  # the job the Jobs page shows

BIAS_SOURCE_KIND = "bias.source_kind"
BIAS_DATABASE = "bias.database"
BIAS_TABLE = "bias.table"
BIAS_SQL = "bias.sql"

AUTH_LOGGED_IN = "auth.logged_in"  # True once this session gave the right password
AUTH_FORM = "auth.login"
AUTH_PASSWORD = "auth.password"
AUTH_LOGOUT = "auth.logout"
