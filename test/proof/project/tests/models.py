"""Makes `tests` an app with models: the models its test modules define (test_xt100_order.Tag) get
tables when the test runners create the database (the app has no migrations: makemigrations leaves
it alone)."""
