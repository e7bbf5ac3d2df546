import { jest } from '@jest/globals';

// End-to-end tests spawn processes and talk to real services.
jest.setTimeout(60_000);
