#!/usr/bin/env node
// Regenerates .env.example from the settings table in src/config (run after
// `npm run build`). A unit test fails when the file falls behind.
import { writeFileSync } from 'node:fs';

import { SETTINGS } from '../dist/config/config.schema.js';

export function renderEnvExample(settings) {
  const lines = [
    '# Baton settings. Every one is optional; the value shown is the default.',
    '# A YAML or JSON file named by BATON_CONFIG may hold the same settings as sections',
    '# (e.g. http: { port: 3000 }); environment variables win over the file.',
    '',
    '# BATON_CONFIG=./baton.yaml',
  ];
  for (const setting of settings) {
    const value = setting.schema.parse(undefined);
    const line = value === undefined ? `# ${setting.env}=` : `${setting.env}=${Array.isArray(value) ? value.join(',') : value}`;
    lines.push('', `# ${setting.help} (file: ${setting.path.join('.')})`, line);
  }
  return `${lines.join('\n')}\n`;
}

writeFileSync(new URL('../.env.example', import.meta.url), renderEnvExample(SETTINGS));
