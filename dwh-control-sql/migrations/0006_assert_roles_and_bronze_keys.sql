-- Assertion migration (execution manual §4 A.3): refuse to finish migrating a warehouse whose roles or bronze keys are
-- wrong. Runs once, when first applied; `npm run dwh:migrate` repeats dwh_control.assert_all() after every migration.
SELECT dwh_control.assert_roles();
SELECT dwh_control.assert_bronze_keys();
