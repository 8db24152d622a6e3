// The proof: with real Django, DRF, pytest-xdist and Redis, each hazard Crosstalk flags really breaks a
// test run, and the fixes Crosstalk writes (no hand edits) really make it pass.
//   npm run test:proof
// Steps, for each project under test/proof (a copy of it; the repository keeps the hazards):
//   1. before: the parallel hazards under `pytest -n 2 --dist loadfile` (tests/parallel/test_side_a.py
//      and test_side_b.py, one per worker, their halves overlapping through proofsync.meet) against one
//      private redis-server; the order-dependent hazards in one process, in the order that fails
//      (/work/shared/tools/orderplug.py or test/proof/orderplug.py);
//   2. `crosstalk check --format json` (what is flagged, which fix is offered), then `crosstalk check
//      --fix --unsafe-fixes`;
//   3. after: the same two runs, `crosstalk check --select <rule>` for every rule, the whole suite under
//      `pytest -n 2 --dist loadfile` and (where it means something for the project) `manage.py test
//      --parallel 2`.
// One line per hazard: rule, fix kind, before (failed tests), after, whether the rule is still reported
// there. A hazard is ok when it failed before, Crosstalk offered the fix of that kind, the tests pass
// after and the rule is clean; a "guard" is ok when the tests still pass after the fixes (a fix must not
// break what was right). Then one line per whole-suite run, and "N passed, M failed".
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '../..');
const PYTHON = '/usr/bin/python3'; // Debian's: it sees Debian's Django packages
const CROSSTALK = path.join(ROOT, 'bin/crosstalk.js');
// the ordering plugin (ORDER=file:<node ids>): the shared one where it exists, else test/proof/orderplug.py
const ORDERPLUG =
  process.env.PROOF_ORDERPLUG_DIR ??
  (fs.existsSync('/work/shared/tools/orderplug.py') ? '/work/shared/tools' : __dirname);
const SIDES = ['tests/parallel/test_side_a.py', 'tests/parallel/test_side_b.py'];
const A = SIDES[0] + '::';
const B = SIDES[1] + '::';

/**
 * The projects under test/proof: `manage` is the `manage.py test --parallel 2` command line after the
 * fixes (null: not run, for the reason `notRun` gives), `xt003` applies XT003's fixes (the other projects
 * ignore XT003), `pytest` adds arguments to every pytest run.
 */
const PROJECTS = {
  project: {
    what: 'Django 3.2 + DRF, a shared Redis cache, pytest-django',
    manage: ['manage.py', 'test', '--parallel', '2', '--noinput', 'tests'],
  },
  project2: {
    what: 'a shop whose test settings and conftest.py name one Redis key prefix and one database file',
    manage: null,
    notRun:
      "the XT031 fixes in its settings are for pytest-xdist workers: Django's runner forks its workers after loading the settings, so no settings value can differ per worker",
  },
  project3: {
    what: 'a pytest-only newsroom suite on the shared Redis, with nothing isolating the cache per test',
    xt003: true,
    manage: null,
    notRun: "pytest functions only: Django's runner finds no tests",
  },
  project4: {
    what: "a library's unittest suite (Django's runner, no pytest configuration) on one base test case",
    xt003: true,
    pytest: ['--ds', 'libproj.settings'],
    manage: ['manage.py', 'test', '--parallel', '2', '--noinput', 'tests'],
  },
};

// Each hazard: its tests (pytest node ids; for `order`, in the order that fails), the fix Crosstalk must
// offer (`fix`, matched against the fix's message), and `right` (what the right fix does, printed when it
// fails). `also`: other top-level functions or classes whose findings belong to it (fixtures). `guard`:
// nothing fails before; the fixes must leave it passing.
// XT010, XT021, XT041, XT050, XT060 and XT071 are off by default: the proof selects them beside every other rule,
// so their findings and fixes are proven too
const SELECT = ['--select', 'XT,XT010,XT021,XT041,XT050,XT060,XT071'];

const HAZARDS = [
  // --- parallel: two workers, one Redis, one /tmp, one working directory, one machine's ports
  {
    rule: 'XT001',
    kind: '@override_settings(CACHES=LocMem) on a Django test case',
    what: 'DRF throttle history of user pk=1 in the shared Redis',
    mode: 'parallel',
    tests: [
      A + 'AliceThrottleTests::test_sixth_request_is_throttled',
      B + 'BobThrottleTests::test_sixth_request_is_throttled',
    ],
    fix: /LocMem cache with @override_settings/,
  },
  {
    rule: 'XT001',
    kind: '@override_settings(CACHES=LocMem) on a pytest function',
    what: 'one cache counter incremented by both workers',
    mode: 'parallel',
    tests: [A + 'test_visit_counter_starts_at_one', B + 'test_visit_counter_starts_at_one'],
    fix: /LocMem cache with @override_settings/,
  },
  {
    rule: 'XT001',
    kind: '@override_settings(CACHES=LocMem) where the code calls django-redis APIs',
    what: 'drafts dropped by delete_pattern() under cache.lock(), counted with get_redis_connection()',
    mode: 'parallel',
    tests: [
      A + 'DraftReportTests::test_draft_survives_another_users_cleanup',
      B + 'DraftCleanupTests::test_discard_removes_every_draft_of_the_user',
    ],
    right:
      'keep django_redis.cache.RedisCache and isolate each test by key: @override_settings(CACHES={"default": {**settings.CACHES["default"], "KEY_PREFIX": "<test id>"}}) (or a Redis database per worker); LocMemCache has no delete_pattern() or lock(), and get_redis_connection() refuses it',
  },
  {
    rule: 'XT002',
    kind: '@override_settings(CACHES=LocMem) on the Django test case that clears',
    what: "cache.clear() wiping the other worker's key mid-test",
    mode: 'parallel',
    tests: [
      A + 'ImportProgressTests::test_progress_survives',
      B + 'CacheCleanupTests::test_starts_from_an_empty_cache',
    ],
    fix: /LocMem cache with @override_settings/,
  },
  {
    rule: 'XT002',
    kind: '@override_settings(CACHES=LocMem) on the pytest function that clears',
    what: "cache.clear() wiping the other worker's key mid-test",
    mode: 'parallel',
    tests: [A + 'test_queue_position_survives', B + 'test_queue_starts_empty'],
    fix: /LocMem cache with @override_settings/,
  },
  {
    rule: 'XT020',
    kind: "the test's own tmp_path (pytest)",
    what: 'two workers writing one /tmp file',
    mode: 'parallel',
    tests: [A + 'test_report_is_written_then_read', B + 'test_other_report'],
    fix: /tmp_path/,
  },
  {
    rule: 'XT020',
    kind: 'a directory of its own from tempfile.mkdtemp() (Django test case)',
    what: 'two workers writing /tmp/crosstalk_proof_export.csv',
    mode: 'parallel',
    tests: [A + 'ExportFileTests::test_export_round_trip', B + 'ExportOtherFileTests::test_export_other_round_trip'],
    fix: /mkdtemp/,
  },
  {
    rule: 'XT021',
    kind: "the test's own tmp_path (pytest function)",
    what: 'two workers writing one file in the working directory',
    mode: 'parallel',
    tests: [A + 'test_summary_is_written_then_read', B + 'test_other_summary'],
    fix: /tmp_path/,
  },
  {
    rule: 'XT021',
    kind: 'tmp_path in a function-scoped fixture',
    what: 'a fixture and another worker writing one file in the working directory',
    mode: 'parallel',
    tests: [A + 'test_greeting_file_is_ours', B + 'test_greeting_file_is_rewritten'],
    also: [A + 'greeting_file'],
    fix: /tmp_path/,
  },
  {
    rule: 'XT090',
    kind: 'port 0 for a LiveServerTestCase and a socket.bind()',
    what: 'a live server and a listener on port 48761',
    mode: 'parallel',
    tests: [A + 'HealthPageTests::test_health_page', B + 'test_webhook_listener_binds'],
    fix: /port 0/,
  },
  {
    rule: 'XT090',
    kind: 'port 0 for a port= keyword (wsgiref make_server)',
    what: 'two WSGI stubs on port 48762',
    mode: 'parallel',
    tests: [A + 'test_wsgi_stub_answers', B + 'test_wsgi_stub_starts'],
    fix: /port 0/,
  },
  {
    rule: 'XT030',
    kind: 'renames slaveinput/slaveid to workerinput/workerid',
    what: 'a per-worker scratch directory named from config.slaveinput',
    mode: 'parallel',
    tests: [A + 'test_worker_scratch_is_private', B + 'test_worker_scratch_is_private'],
    also: ['tests/conftest.py::worker_scratch'],
    fix: /Rename slave/,
  },
  // --- in one process, in the order that fails
  {
    rule: 'XT001',
    kind: '@override_settings(CACHES=LocMem) on a class with two cache tests, emptied in setUp',
    what: 'the throttle history of one test seen by the next test of its class',
    tests: [
      'tests/test_xt001_throttle.py::PingThrottleTests::test_a_five_requests_allowed',
      'tests/test_xt001_throttle.py::PingThrottleTests::test_b_sixth_request_throttled',
    ],
    fix: /emptied in setUp/,
  },
  {
    rule: 'XT030',
    kind: 'renames the slave_id fixture to worker_id',
    what: 'a test asking for the removed slave_id fixture',
    tests: ['tests/test_xt030_worker_name.py::test_worker_label'],
    fix: /Rename slave_id/,
  },
  {
    rule: 'XT010',
    kind: '@isolate_apps("proofapp") from a literal app_label',
    what: 'an inline model, then makemigrations --check',
    tests: [
      'tests/test_xt010_models.py::ModelHelpersTests::test_verbose_name_of_a_throwaway_model',
      'tests/test_xt010_models.py::MigrationsUpToDateTests::test_no_missing_migrations',
    ],
    fix: /isolate_apps\("proofapp"\)/,
  },
  {
    rule: 'XT010',
    kind: '@isolate_apps("proofapp.providers.dummy") for the label dummy_provider',
    what: 'an inline model of an app whose label is not its module path, then dumpdata',
    tests: [
      'tests/test_xt010_models.py::ModelHelpersTests::test_provider_account_model',
      'tests/test_xt010_models.py::FixtureDumpTests::test_dump_the_provider_app',
    ],
    fix: /isolate_apps\("proofapp\.providers\.dummy"\)/,
  },
  {
    rule: 'XT010',
    kind: '@isolate_apps with the labels @pytest.mark.parametrize gives',
    what: 'an inline model per parametrised app label, then dumpdata',
    tests: [
      'tests/test_xt010_models.py::test_note_model_in_each_app[proofapp]',
      'tests/test_xt010_models.py::test_note_model_in_each_app[tests]',
      'tests/test_xt010_models.py::FixtureDumpTests::test_dump_the_suites_own_models',
    ],
    fix: /isolate_apps\("proofapp", "tests"\)/,
  },
  {
    rule: 'XT040',
    kind: 'the settings fixture in a pytest function',
    what: 'settings.PROOF_BETA = True leaking',
    tests: [
      'tests/test_xt040_settings.py::test_a_beta_banner_on',
      'tests/test_xt040_settings.py::test_b_beta_banner_off_by_default',
    ],
    fix: /settings fixture/,
  },
  {
    rule: 'XT040',
    kind: 'the settings fixture in a function-scoped fixture',
    what: 'a fixture setting PROOF_MAINTENANCE',
    tests: [
      'tests/test_xt040_settings.py::test_a_maintenance_page',
      'tests/test_xt040_settings.py::test_b_site_open_by_default',
    ],
    also: ['tests/test_xt040_settings.py::maintenance_mode'],
    fix: /settings fixture/,
  },
  {
    rule: 'XT040',
    kind: '@override_settings on a Django test method',
    what: 'settings.PROOF_FEATURE = True leaking',
    tests: [
      'tests/test_xt040_settings.py::FeatureFlagTests::test_a_feature_on',
      'tests/test_xt040_settings.py::FeatureFlagTests::test_b_feature_off_by_default',
    ],
    fix: /@override_settings\(PROOF_FEATURE=\.\.\.\) on the test/,
  },
  {
    rule: 'XT040',
    kind: '@override_settings on the class (a change in setUp)',
    what: 'setUp setting PROOF_READ_ONLY',
    tests: [
      'tests/test_xt040_settings.py::ReadOnlyModeTests::test_writes_refused',
      'tests/test_xt040_settings.py::WritableByDefaultTests::test_writes_allowed',
    ],
    fix: /on the class/,
  },
  {
    rule: 'XT040',
    kind: '`with self.settings(...)` from the change on, where the test reads the setting first',
    what: 'a switch checked off, then turned on',
    tests: [
      'tests/test_xt040_edges.py::AuditSwitchTests::test_a_audit_switch',
      'tests/test_xt040_edges.py::AuditSwitchTests::test_b_audit_off_by_default',
    ],
    fix: /self\.settings\(PROOF_AUDIT=\.\.\.\) for the rest of the test/,
  },
  {
    rule: 'XT040',
    kind: 'a new list through the settings fixture for `settings.X += [...]`',
    what: 'a list setting extended in place',
    tests: ['tests/test_xt040_edges.py::test_a_partner_added', 'tests/test_xt040_edges.py::test_b_default_partners'],
    fix: /Assign a new value/,
  },
  {
    rule: 'XT040',
    kind: 'nested `settings.X["k"] = v` through the pytest-django settings fixture',
    what: 'REST_FRAMEWORK["PAGE_SIZE"] changed in place',
    tests: [
      'tests/test_xt040_nested.py::test_a_page_size_through_the_fixture',
      'tests/test_xt040_nested.py::test_b_default_page_size',
    ],
    right:
      'settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "PAGE_SIZE": 5} (or a deep-copied override_settings): the fixture only restores attributes it assigned',
  },
  {
    rule: 'XT040',
    kind: 'nested `settings.X["k"] = v` in a pytest function (imported settings)',
    what: 'PROOF_LIMITS["uploads"] changed in place',
    tests: [
      'tests/test_xt040_nested.py::test_a_upload_limit_raised',
      'tests/test_xt040_nested.py::test_b_default_upload_limit',
    ],
    right:
      'settings.PROOF_LIMITS = {**settings.PROOF_LIMITS, "uploads": 100} through the settings fixture (or a deep-copied override_settings): requesting the fixture alone still mutates the real dict',
  },
  {
    rule: 'XT040',
    kind: '`with self.settings(X={**settings.X, "k": v})` for a nested change in a Django test case',
    what: 'PROOF_EMAIL["sender"] changed in place',
    tests: [
      'tests/test_xt040_nested.py::EmailSenderTests::test_a_sender_for_tests',
      'tests/test_xt040_nested.py::EmailSenderTests::test_b_default_sender',
    ],
    fix: /self\.settings/,
  },
  {
    rule: 'XT041',
    kind: 'moves @override_settings into the settings fixture',
    what: 'PROOF_CURRENCY left pinned by interleaved restores',
    tests: [
      'tests/test_xt041_mixed.py::test_a_prices_in_euros_with_vat',
      'tests/test_xt041_mixed.py::test_b_default_currency',
    ],
    fix: /settings fixture/,
  },
  {
    rule: 'XT050',
    kind: '@mock.patch.dict(os.environ) on a Django test method',
    what: 'os.environ["PROOF_SANDBOX"] leaking',
    tests: [
      'tests/test_xt050_environ.py::EnvironmentTests::test_a_sandbox_mode',
      'tests/test_xt050_environ.py::EnvironmentTests::test_b_not_in_sandbox_by_default',
    ],
    fix: /mock\.patch\.dict/,
  },
  {
    rule: 'XT050',
    kind: 'monkeypatch.setenv in a pytest function',
    what: 'os.environ["PROOF_REGION"] leaking',
    tests: [
      'tests/test_xt050_environ.py::test_a_region_override',
      'tests/test_xt050_environ.py::test_b_default_region',
    ],
    fix: /monkeypatch/,
  },
  {
    rule: 'XT050',
    kind: 'monkeypatch.delenv for os.environ.pop',
    what: 'a variable of the runner removed for good',
    tests: [
      'tests/test_xt050_environ.py::test_a_anonymous_without_token',
      'tests/test_xt050_environ.py::test_b_token_from_the_environment',
    ],
    fix: /monkeypatch/,
  },
  {
    rule: 'XT050',
    kind: 'monkeypatch.setenv in a function-scoped fixture',
    what: 'a fixture switching payments to the sandbox',
    tests: [
      'tests/test_xt050_environ.py::test_a_checkout_in_sandbox',
      'tests/test_xt050_environ.py::test_b_checkout_live_by_default',
    ],
    also: ['tests/test_xt050_environ.py::payments_sandbox'],
    fix: /monkeypatch/,
  },
  {
    rule: 'XT050',
    kind: '`with mock.patch.dict(os.environ, ...)` from the change on, where the test checks the variable first',
    what: 'a variable checked unset, then set',
    tests: [
      'tests/test_xt050_edges.py::TracingSwitchTests::test_a_tracing_switch',
      'tests/test_xt050_edges.py::TracingSwitchTests::test_b_tracing_off_by_default',
    ],
    fix: /for the rest of the test/,
  },
  {
    rule: 'XT060',
    kind: 'self.addCleanup(patcher.stop)',
    what: 'a patcher started in a test method',
    tests: [
      'tests/test_xt060_patcher.py::ClockTests::test_a_with_a_fake_clock',
      'tests/test_xt060_patcher.py::ClockTests::test_b_real_clock',
    ],
    fix: /addCleanup/,
  },
  {
    rule: 'XT060',
    kind: 'fixture return becomes yield, then patcher.stop()',
    what: 'a patcher started in a fixture',
    tests: [
      'tests/test_xt060_patcher.py::test_a_with_a_frozen_clock',
      'tests/test_xt060_patcher.py::test_b_real_clock_again',
    ],
    also: ['tests/test_xt060_patcher.py::frozen_clock'],
    fix: /Yield, then stop/,
  },
  ...[
    ['LanguageTests', 'test_a_german_greeting', 'test_b_default_language', 'addCleanup(translation.deactivate)'],
    [
      'BrowserLanguageTests',
      'test_a_spanish_browser',
      'test_b_default_language_after_requests',
      "addCleanup(translation.deactivate) after a request LocaleMiddleware answered in the browser's language",
    ],
    ['TimeZoneTests', 'test_a_berlin_time', 'test_b_default_time_zone', 'addCleanup(timezone.deactivate)'],
    ['SignalTests', 'test_a_audit_on_save', 'test_b_no_audit_by_default', 'addCleanup(post_save.disconnect, ...)'],
    ['AdminTests', 'test_a_widget_admin', 'test_b_widget_not_in_admin', 'addCleanup(admin.site.unregister, ...)'],
    ['LoggingTests', 'test_a_quiet_import', 'test_b_slow_requests_are_logged', 'addCleanup(logging.disable, NOTSET)'],
    ['PluginPathTests', 'test_a_plugin_importable', 'test_b_no_plugin_path', 'addCleanup(sys.path.remove, ...)'],
    [
      'WorkingDirectoryTests',
      'test_a_inside_the_app',
      'test_b_manage_py_in_the_working_directory',
      'addCleanup(os.chdir, os.getcwd())',
    ],
    [
      'SocketTimeoutTests',
      'test_a_impatient_client',
      'test_b_no_default_timeout',
      'addCleanup(socket.setdefaulttimeout, ...)',
    ],
    ['LocaleTests', 'test_a_utf8_locale', 'test_b_numbers_in_the_c_locale', 'addCleanup(locale.setlocale, ...)'],
    [
      'IndexOffTests',
      'test_a_save_without_indexing',
      'test_b_saves_are_indexed',
      "addCleanup(post_save.connect, receiver, sender=...) (unsafe) for the project's receiver taken off",
    ],
    [
      'VendorPathTests',
      'test_a_vendor_path_first',
      'test_b_no_vendor_path',
      'addCleanup(sys.path.remove, ...) when the test then reads sys.path',
      'flag it and add the cleanup: reading sys.path[0] after the insert does not restore it',
    ],
    [
      'CollationTests',
      'test_a_utf8_collation',
      'test_b_collation_in_the_c_locale',
      'addCleanup(locale.setlocale, ...) when the test then queries the locale',
      'flag it and add the cleanup: locale.setlocale(category) with one argument only queries the locale, it restores nothing',
    ],
  ].map(([cls, a, b, kind, right]) => ({
    rule: 'XT070',
    kind,
    what: cls,
    tests: [`tests/test_xt070_state.py::${cls}::${a}`, `tests/test_xt070_state.py::${cls}::${b}`],
    fix: /addCleanup/,
    right,
  })),
  {
    rule: 'XT071',
    kind: 'addCleanup(setattr, module, ...) (unsafe)',
    what: 'GatewayTests',
    tests: [
      'tests/test_xt070_state.py::GatewayTests::test_a_sandbox_gateway',
      'tests/test_xt070_state.py::GatewayTests::test_b_live_gateway',
    ],
    fix: /addCleanup/,
  },
  {
    rule: 'XT071',
    kind: 'addClassCleanup(setattr, Class, ...) for a change in setUpClass (unsafe)',
    what: 'Exporter.batch_size set in setUpClass',
    tests: [
      'tests/test_xt070_state.py::SmallBatchTests::test_batches_of_two',
      'tests/test_xt070_state.py::DefaultBatchTests::test_one_batch',
    ],
    fix: /addCleanup/,
  },
  ...[
    ['test_a_inside_the_migrations', 'test_b_settings_beside_manage_py', 'monkeypatch.chdir'],
    ['test_a_vendored_plugins', 'test_b_no_vendor_path', 'monkeypatch.syspath_prepend'],
    ['test_a_staging_gateway', 'test_b_live_gateway_again', 'monkeypatch.setattr on a module'],
    ['test_a_tiny_batches', 'test_b_default_batches', 'monkeypatch.setattr on a class'],
  ].map(([a, b, kind]) => ({
    rule: kind.includes('setattr') ? 'XT071' : 'XT070',
    kind: kind + ' (pytest)',
    what: a,
    tests: [`tests/test_xt070_pytest.py::${a}`, `tests/test_xt070_pytest.py::${b}`],
    fix: /monkeypatch/,
  })),
  {
    rule: 'XT070',
    kind: 'addCleanup(post_save.disconnect, ...) where tearDown reconnects the receiver',
    what: 'the search index receiver, muted per test and put back by tearDown',
    guard: true,
    tests: [
      'tests/test_xt070_signal_teardown.py::QuietIndexTests::test_a_save_without_indexing',
      'tests/test_xt070_signal_teardown.py::QuietIndexTests::test_b_save_with_indexing',
    ],
    right:
      'no fix (tearDown already reconnects index_widget), or a cleanup that restores what was connected before the test; addCleanup(post_save.disconnect, index_widget) runs after tearDown and disconnects the real receiver',
  },
  {
    rule: 'XT100',
    kind: 'assertCountEqual',
    what: 'rows of a unique index compared in insertion order',
    tests: ['tests/test_xt100_order.py::TagLookupTests::test_tags_by_name'],
    fix: /assertCountEqual/,
  },
  {
    rule: 'XT100',
    kind: 'ordered=False for assertQuerysetEqual',
    what: 'rows of a unique index compared in insertion order',
    tests: ['tests/test_xt100_order.py::TagLookupTests::test_tags_by_name_as_a_queryset'],
    fix: /ordered=False/,
  },
  {
    rule: 'XT100',
    kind: 'set() comparison for a bare assert (unsafe)',
    what: 'rows of a unique index compared in insertion order',
    tests: ['tests/test_xt100_order.py::test_tags_by_name_in_a_function'],
    fix: /sets/,
  },
  {
    rule: 'XT110',
    kind: 'now + timedelta(...)',
    what: 'second + 1 and day + 1 at 23:59:59 on January 31',
    tests: [
      'tests/test_xt110_clock.py::SessionExpiryTests::test_expiry_one_second_later',
      'tests/test_xt110_clock.py::SessionExpiryTests::test_reminder_one_day_later',
    ],
    fix: /timedelta/,
  },
  {
    rule: 'XT900',
    kind: 'removes the unknown code from # noqa',
    what: '`# noqa: XT04` on a settings leak it never silenced (XT040 fixes the leak)',
    tests: [
      'tests/test_xt900_noqa.py::test_a_newsletter_signup',
      'tests/test_xt900_noqa.py::test_b_newsletter_off_by_default',
    ],
    fix: /Remove the noqa/,
  },
].map(h => ({ project: 'project', mode: 'order', ...h }));
HAZARDS.push(
  ...[
    {
      rule: 'XT031',
      kind: 'the worker appended to KEY_PREFIX in the test settings module',
      what: 'one cart key for both workers under KEY_PREFIX "shop_test"',
      tests: [A + 'CartTests::test_cart_survives', B + 'OtherCartTests::test_other_cart'],
      also: ['shopproj/settings/test.py::<module>'],
      fix: /Append the xdist worker/,
      right:
        '`crosstalk check .` must check the settings module pytest.ini names (shopproj/settings/test.py), which no test-file pattern matches, for XT031',
    },
    {
      rule: 'XT031',
      kind: 'the worker appended to KEY_PREFIX in a conftest.py fixture',
      what: 'one report key for both workers under KEY_PREFIX "reports"',
      tests: [A + 'test_latest_report_is_ours', B + 'test_other_report'],
      also: ['tests/conftest.py::report_cache'],
      fix: /Append the xdist worker/,
    },
    {
      rule: 'XT031',
      kind: '_{worker_id} appended to the database name of django_db_setup',
      what: 'both workers writing orders into shop_test.sqlite3',
      tests: [A + 'test_first_order_is_alone', B + 'test_first_order_is_alone'],
      also: ['tests/conftest.py::django_db_setup'],
      fix: /Append the worker id/,
    },
  ].map(h => ({ project: 'project2', mode: 'parallel', ...h })),
  {
    project: 'project3',
    rule: 'XT003',
    kind: 'an autouse fixture in the root conftest.py (a LocMem cache per test)',
    what: 'two workers writing one headline key',
    mode: 'parallel',
    tests: [A + 'test_headline_is_ours', B + 'test_other_headline'],
    fix: /autouse fixture/,
  },
  {
    project: 'project3',
    rule: 'XT003',
    kind: 'an autouse fixture in the root conftest.py (a LocMem cache per test)',
    what: "one test's banner key seen by the next",
    mode: 'order',
    tests: [
      'tests/test_breaking_news.py::test_a_breaking_news_banner',
      'tests/test_breaking_news.py::test_b_no_banner_by_default',
    ],
    fix: /autouse fixture/,
  },
  {
    project: 'project4',
    rule: 'XT003',
    kind: '@override_settings(CACHES=LocMem) on the shared base test case',
    what: 'two workers writing one reservation key',
    mode: 'parallel',
    tests: [A + 'ReservationTests::test_reservation_is_ours', B + 'OtherReservationTests::test_other_reservation'],
    fix: /every subclass/,
  },
  {
    project: 'project4',
    rule: 'XT003',
    kind: '@override_settings(CACHES=LocMem) on the shared base test case',
    what: "one test's loan counter seen by the next",
    mode: 'order',
    tests: [
      'tests/test_loans.py::LoanCounterTests::test_a_first_loan',
      'tests/test_loans.py::LoanCounterTests::test_b_no_loans_yet',
    ],
    fix: /every subclass/,
  },
);

const DEBIAN = [
  'python3-django',
  'python3-djangorestframework',
  'python3-pytest',
  'python3-pytest-xdist',
  'python3-pytest-django',
  'python3-django-redis',
  'python3-redis',
  'redis-server',
  'python3-tblib',
];

function requirements() {
  const missing = [];
  const probe = spawnSync(
    PYTHON,
    ['-c', 'import django, rest_framework, pytest, xdist, pytest_django, django_redis, redis, tblib'],
    { encoding: 'utf8' },
  );
  if (probe.status !== 0) missing.push(...DEBIAN.filter(p => p.startsWith('python3-')));
  if (spawnSync('redis-server', ['--version']).status !== 0) missing.push('redis-server');
  if (missing.length) {
    console.error(
      `test:proof: missing Debian packages: ${[...new Set(missing)].join(' ')}\n  install them with: apt-get install -y ${DEBIAN.join(' ')}  (npm run setup does)`,
    );
    process.exit(2);
  }
}

const freePort = () =>
  new Promise(resolve => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function startRedis(dir) {
  for (let attempt = 0; attempt < 5; attempt++) {
    // a port taken between probing and binding: pick another
    const port = await freePort();
    const server = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 50; i++) {
      if (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG')
        return { server, port };
      if (server.exitCode !== null) break;
      await new Promise(r => setTimeout(r, 100));
    }
    server.kill();
  }
  throw new Error('test:proof: redis-server did not start');
}

const unescape = s =>
  s
    .replace(/&#10;/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** The pytest node id of a JUnit testcase: classname is the module's dotted path, then the class if any. */
function nodeId(project, classname, name) {
  const parts = classname.split('.');
  for (let i = parts.length; i > 0; i--) {
    const file = parts.slice(0, i).join('/') + '.py';
    if (fs.existsSync(path.join(project, file))) return [file, ...parts.slice(i), name].join('::');
  }
  return `${classname}::${name}`;
}

/** Runs pytest; returns { passed: Set of node ids, failed: Map node id -> message, output }. */
function pytest(project, env, args) {
  const junit = path.join(project, 'junit.xml');
  fs.rmSync(junit, { force: true });
  const run = spawnSync(PYTHON, ['-m', 'pytest', '-p', 'no:randomly', '-q', `--junitxml=${junit}`, ...args], {
    cwd: project,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 300_000,
  });
  const xml = fs.existsSync(junit) ? fs.readFileSync(junit, 'utf8') : '';
  if (!xml) throw new Error(`pytest produced no report:\n${run.stdout}\n${run.stderr}`);
  const passed = new Set();
  const failed = new Map();
  for (const m of xml.matchAll(/<testcase ([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const attr = k => unescape(m[1].match(new RegExp(`(?:^|\\s)${k}="([^"]*)"`))?.[1] ?? '');
    const id = nodeId(project, attr('classname'), attr('name'));
    const bad = (m[2] ?? '').match(/<(failure|error) message="([^"]*)"/);
    if (bad) failed.set(id, unescape(bad[2]));
    else if (!/<skipped/.test(m[2] ?? '')) passed.add(id);
  }
  for (const id of failed.keys()) passed.delete(id);
  return { passed, failed, output: run.stdout };
}

function crosstalk(project, ...args) {
  return new Promise(resolve => {
    const child = spawn(process.execPath, [CROSSTALK, ...args], { cwd: project });
    let stdout = '';
    child.stdout.on('data', d => (stdout += d));
    child.on('close', status => resolve({ status, stdout }));
  });
}

/**
 * Where line `row` (1-based) of `file` is: "file::Top" (a top-level function or class, or <module>) and,
 * inside a class, the method: "file::Top::method". A decorator belongs to what it decorates.
 */
function placeOf(project, file, row) {
  const lines = fs.readFileSync(path.join(project, file), 'utf8').split('\n');
  const def = /^(\s*)(?:async\s+)?(?:def|class)\s+(\w+)/;
  let i = row - 1;
  while (/^\s*@/.test(lines[i] ?? '')) i++;
  const names = [];
  let indent = Infinity;
  for (; i >= 0; i--) {
    const m = (lines[i] ?? '').match(def);
    if (m && m[1].length < indent) {
      names.unshift(m[2]);
      indent = m[1].length;
      if (indent === 0) break;
    }
  }
  return { top: `${file}::${names[0] ?? '<module>'}`, method: names[1] };
}

/**
 * Whether a finding at `place` belongs to hazard `h`: in one of its tests (a function, or a test method of
 * a class), in its class outside any test method (the class line, setUp, setUpClass, tearDown), or in a
 * function or class named in `also` (a fixture).
 */
function belongs(h, place) {
  if ((h.also ?? []).includes(place.top)) return true;
  return h.tests.some(t => {
    const [file, top, method] = t.replace(/\[.*\]$/, '').split('::');
    if (place.top !== `${file}::${top}`) return false;
    return !place.method || !place.method.startsWith('test') || place.method === method;
  });
}

/** Findings of `rule` (from `crosstalk check --format json`) that belong to the hazard. */
function findingsIn(project, findings, h) {
  return findings.filter(f => f.code === h.rule && belongs(h, placeOf(project, f.filename, f.location.row)));
}

async function pool(tasks, width) {
  const results = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]();
      }
    }),
  );
  return results;
}

/** The before or after runs of one project: the parallel halves under -n 2, the order hazards in order. */
function hazardRuns(project, port, hazards, extra = []) {
  spawnSync('redis-cli', ['-p', String(port), 'flushall']);
  const env = { PROOF_REDIS_PORT: String(port), PROOF_API_TOKEN: 'proof-token' };
  const results = { passed: new Set(), failed: new Map(), timeouts: [] };
  const merge = r => {
    r.passed.forEach(id => results.passed.add(id));
    r.failed.forEach((msg, id) => results.failed.set(id, msg));
  };
  if (hazards.some(h => h.mode === 'parallel')) {
    merge(
      pytest(project, { ...env, PROOF_MEET_PORT: String(port) }, [...extra, '-n', '2', '--dist', 'loadfile', ...SIDES]),
    );
    const late = spawnSync('redis-cli', ['-p', String(port), '-n', '15', 'lrange', 'meet:timeouts', '0', '-1'], {
      encoding: 'utf8',
    }).stdout.trim();
    if (late) results.timeouts = late.split('\n');
  }
  const ordered = hazards.filter(h => h.mode === 'order').flatMap(h => h.tests);
  if (ordered.length) {
    const order = path.join(project, 'order.txt');
    fs.writeFileSync(order, ordered.join('\n') + '\n');
    const files = [...new Set(ordered.map(t => t.split('::')[0]))];
    merge(
      pytest(project, { ...env, PYTHONPATH: ORDERPLUG, ORDER: `file:${order}` }, [
        ...extra,
        '-p',
        'orderplug',
        ...files,
      ]),
    );
  }
  return results;
}

/** A test id without its file: Class.test or test. */
const short = t => t.split('::').slice(1).join('.');

/** A failure message on one line: the run's directory replaced, long ones cut. */
function tidy(message, project) {
  const line = message.split(project).join('<project>');
  return line.length > 200 ? line.slice(0, 200) + '...' : line;
}

/** Removes the files the hazards write outside their tests' own directories: /tmp, the working directory. */
function cleanTmp(project) {
  fs.rmSync('/tmp/crosstalk_proof_reports', { recursive: true, force: true });
  fs.rmSync('/tmp/crosstalk_proof_export.csv', { force: true });
  if (project)
    for (const f of fs.readdirSync(project))
      if (f.startsWith('crosstalk_proof_')) fs.rmSync(path.join(project, f), { recursive: true, force: true });
}

(async () => {
  requirements();
  const started = Date.now();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-proof-'));
  cleanTmp();
  const { server, port } = await startRedis(work);
  let passed = 0,
    failed = 0;
  const wrong = [];
  // a meeting that timed out: the two halves of a hazard did not overlap, so that run proves nothing
  const late = (run, when) => {
    if (!run.timeouts.length) return;
    failed++;
    console.log(`FAIL the parallel run ${when}: meet() timed out for ${run.timeouts.join(', ')} (a worker was late)`);
  };
  try {
    for (const [name, spec] of Object.entries(PROJECTS)) {
      const project = path.join(work, name);
      fs.cpSync(path.join(__dirname, name), project, { recursive: true });
      fs.copyFileSync(path.join(__dirname, 'proofsync.py'), path.join(project, 'proofsync.py'));
      const hazards = HAZARDS.filter(h => h.project === name);
      console.log(`== test/proof/${name}: ${spec.what} (${hazards.length} hazards)`);

      const before = hazardRuns(project, port, hazards, spec.pytest);
      late(before, 'before the fixes');
      cleanTmp(project);
      // a race shows when the two workers' halves interleave as meet() arranges, which a busy machine can
      // still upset: a parallel hazard that did not show gets one more run, and a failure in either counts
      const hidden = hazards.filter(h => h.mode === 'parallel' && !h.guard && h.tests.every(t => before.passed.has(t)));
      if (hidden.length) {
        console.log(`run again before the fixes: ${hidden.map(h => `${h.rule} [${h.what}]`).join(', ')} did not show`);
        const again = hazardRuns(project, port, hidden, spec.pytest);
        cleanTmp(project);
        for (const t of hidden.flatMap(h => h.tests))
          if (again.failed.has(t)) {
            before.passed.delete(t);
            before.failed.set(t, again.failed.get(t));
          }
      }
      const flagged = JSON.parse(
        (
          await crosstalk(
            project,
            'check',
            '.',
            '--no-group', // each hazard's own finding, as the editor shows it
            ...SELECT,
            ...(spec.xt003 ? [] : ['--ignore', 'XT003']),
            '--format',
            'json',
          )
        ).stdout,
      );
      const found = new Map(hazards.map(h => [h, findingsIn(project, flagged, h)]));

      // Crosstalk's fixes, unsafe ones included for this proof. XT003 is left out but in the projects made
      // for it: its conftest fixture isolates tests under pytest only, and its base-class decorator would
      // stand in for the per-test fixes the other projects prove.
      const fix = await crosstalk(
        project,
        'check',
        '.',
        '--fix',
        '--unsafe-fixes',
        ...SELECT,
        ...(spec.xt003 ? [] : ['--ignore', 'XT003']),
      );
      console.log(
        `crosstalk check --fix --unsafe-fixes: ${fix.stdout
          .trim()
          .split('\n')
          .filter(l => /^(Fixed|Found|No hazards)/.test(l))
          .join(' ')}`,
      );

      const after = hazardRuns(project, port, hazards, spec.pytest);
      late(after, 'after the fixes');
      cleanTmp(project);
      const rules = [...new Set(hazards.map(h => h.rule))];
      const remaining = new Map(
        (
          await pool(
            rules.map(r => () => crosstalk(project, 'check', '.', '--no-group', '--select', r, '--format', 'json')),
            2,
          )
        ).map((r, i) => [rules[i], JSON.parse(r.stdout)]),
      );

      for (const h of hazards) {
        const outcome = run =>
          h.tests.filter(t => !run.passed.has(t)).map(t => [t, run.failed.get(t) ?? 'did not run']);
        const was = outcome(before);
        const now = outcome(after);
        const offered = found.get(h);
        const kindOffered =
          h.guard || (offered.length > 0 && offered.every(f => f.fix && (!h.fix || h.fix.test(f.fix.message))));
        const left = findingsIn(project, remaining.get(h.rule), h);
        const ok = (h.guard || was.length > 0) && kindOffered && now.length === 0 && (h.guard || left.length === 0);
        if (ok) passed++;
        else failed++;
        const tests = run => run.map(([t]) => short(t)).join(', ');
        const beforeText = was.length ? `failed ${tests(was)}` : `passed${h.guard ? '' : ' (no hazard shown!)'}`;
        const fixes = [
          ...new Set(offered.map(f => (f.fix ? `${f.fix.applicability}: ${f.fix.message}` : 'reported, none offered'))),
        ];
        const fixText = offered.length ? fixes.join(' | ') : 'not reported';
        console.log(
          `${ok ? 'ok  ' : 'FAIL'} ${h.rule} ${h.kind} [${h.what}]: before ${beforeText}; fix ${fixText}; after ${now.length ? `failed ${tests(now)}` : 'passed'}; --select ${h.rule} ${left.length ? `still reports ${left.length}` : 'clean'}`,
        );
        if (ok) continue;
        for (const [t, msg] of now) console.log(`       ${short(t)}: ${tidy(msg, project)}`);
        if (!offered.length && !h.guard) console.log('       Crosstalk does not report this hazard');
        else if (offered.some(f => !f.fix)) console.log('       Crosstalk reports it but offers no fix');
        else if (!kindOffered) console.log(`       expected a fix matching ${h.fix}`);
        if (h.right) console.log(`       the right fix: ${h.right}`);
        wrong.push(`${name}: ${h.rule} ${h.kind}`);
      }

      // the whole fixed suite, under both runners
      spawnSync('redis-cli', ['-p', String(port), 'flushall']);
      const env = { PROOF_REDIS_PORT: String(port), PROOF_API_TOKEN: 'proof-token' };
      const suite = pytest(project, env, [...(spec.pytest ?? []), '-n', '2', '--dist', 'loadfile', 'tests']);
      cleanTmp(project);
      const suiteOk = suite.failed.size === 0;
      if (suiteOk) passed++;
      else failed++;
      console.log(
        `${suiteOk ? 'ok  ' : 'FAIL'} pytest -n 2 --dist loadfile tests after the fixes: ${suite.passed.size} passed${suiteOk ? '' : `, failed ${[...suite.failed.keys()].map(short).sort().join(', ')}`}`,
      );

      if (!spec.manage) {
        console.log(`-    manage.py test --parallel 2: not run (${spec.notRun})`);
        continue;
      }
      spawnSync('redis-cli', ['-p', String(port), 'flushall']);
      const django = spawnSync(PYTHON, spec.manage, {
        cwd: project,
        encoding: 'utf8',
        env: { ...process.env, ...env },
        timeout: 300_000,
      });
      cleanTmp(project);
      const summary = (django.stderr.match(/^Ran \d+ tests? .*$|^(OK|FAILED).*$/gm) ?? []).join('; ');
      const bad = [...django.stderr.matchAll(/^(?:ERROR|FAIL): \S+ \((?:[\w.]+\.)?(\w+\.\w+)\)$/gm)]
        .map(m => m[1])
        .sort();
      if (django.status === 0) passed++;
      else failed++;
      console.log(
        `${django.status === 0 ? 'ok  ' : 'FAIL'} manage.py test --parallel 2 after the fixes: ${summary}${bad.length ? `: ${bad.join(', ')}` : ''}`,
      );
      if (django.status !== 0 && !summary) console.log(django.stderr.split('\n').slice(-30).join('\n'));
    }
  } finally {
    server.kill();
    fs.rmSync(work, { recursive: true, force: true });
    cleanTmp();
  }
  if (wrong.length) console.log(`fixes Crosstalk gets wrong or misses (${wrong.length}):\n  ${wrong.join('\n  ')}`);
  console.log(`proof: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})().catch(e => {
  console.error(e.stack || e);
  process.exit(1);
});
