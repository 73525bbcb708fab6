import { Command } from 'commander';
import { settingsFromEnv } from './settings-from-env.js';
import { effectiveSettings } from './settings-help.js';

/** `clvstream config check`: validates the settings and prints the effective configuration, secrets masked. */
export function configCommand(): Command {
  const config = new Command('config').description('Inspect the configuration.');
  config
    .command('check')
    .description(
      'Validate the settings (environment and CLVSTREAM_CONFIG file) and print the effective value of each, secrets masked. Exit 2 with every problem when a setting is invalid.',
    )
    .action(() => {
      const settings = settingsFromEnv();
      process.stdout.write(effectiveSettings(settings));
      process.stderr.write('clvstream: configuration is valid\n');
    });
  return config;
}
