// Test workers of the e2e-postgres project run Baton without Redis.
process.env.BATON_E2E_BACKEND = 'postgres';
