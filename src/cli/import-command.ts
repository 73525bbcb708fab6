import { Command, Option } from 'commander';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { importTable, PRESETS, type Delimiter } from '../app/import-table.js';
import { LineOutput } from '../app/line-output.js';
import { UsageError } from './usage-error.js';

interface ImportFlags {
  preset?: keyof typeof PRESETS;
  delimiter?: Delimiter;
  header?: boolean;
  customer?: string;
  date?: string;
  amount?: string;
  order?: string;
  currencyColumn?: string;
  quantity?: string;
  currency?: string;
  utcOffset: string;
  idPrefix?: string;
  out?: string;
  errors?: string;
}

export function importCommand(): Command {
  return new Command('import')
    .description(
      'Turn a transaction table (CSV, TSV or whitespace separated) into purchase events as JSON lines, ready for `replay` or for producing to Kafka.',
    )
    .argument('[file]', 'the table; "-" or absent reads stdin')
    .addOption(new Option('--preset <name>', 'column layout of a known file').choices(Object.keys(PRESETS)))
    .addOption(new Option('--delimiter <kind>', 'field separator').choices(['whitespace', 'comma', 'semicolon', 'tab']))
    .option('--header', 'the first row names the columns (columns may then be given by name)')
    .option('--customer <column>', 'customer id column (1-based index or header name)')
    .option('--date <column>', 'date column: YYYYMMDD, YYYY-MM-DD or ISO-8601 date-time')
    .option('--amount <column>', 'order amount column (plain decimal, major units)')
    .option('--order <column>', 'order id column (optional)')
    .option('--currency-column <column>', 'ISO 4217 currency column (optional)')
    .option('--quantity <column>', 'item count column (optional)')
    .option('--currency <code>', 'currency of rows without a currency column (default USD)')
    .option('--utc-offset <offset>', 'offset for dates written without one', '+00:00')
    .option('--id-prefix <prefix>', 'event ids are <prefix>:<line> (default: the file name)')
    .option('-o, --out <file>', 'write events here instead of stdout')
    .option('--errors <file>', 'write rejected rows here instead of stderr')
    .action(async (file: string | undefined, flags: ImportFlags) => {
      const preset = flags.preset === undefined ? undefined : PRESETS[flags.preset];
      const customer = flags.customer ?? preset?.columns.customer;
      const date = flags.date ?? preset?.columns.date;
      const amount = flags.amount ?? preset?.columns.amount;
      if (!customer || !date || !amount) {
        throw new UsageError('import needs --customer, --date and --amount (or --preset)');
      }
      if (!/^[+-]\d{2}:\d{2}$/.test(flags.utcOffset)) throw new UsageError(`--utc-offset ${flags.utcOffset} must look like +01:00`);
      const fromStdin = file === undefined || file === '-';
      const summary = await importTable({
        input: fromStdin ? process.stdin : createReadStream(file),
        output: flags.out ? LineOutput.toFile(flags.out) : LineOutput.toStream(process.stdout),
        errors: flags.errors ? LineOutput.toFile(flags.errors) : LineOutput.toStream(process.stderr),
        delimiter: flags.delimiter ?? preset?.delimiter ?? 'comma',
        header: flags.header ?? preset?.header ?? false,
        columns: {
          customer,
          date,
          amount,
          order: flags.order,
          currency: flags.currencyColumn,
          quantity: flags.quantity ?? (preset?.columns as { quantity?: string } | undefined)?.quantity,
        },
        currency: flags.currency ?? preset?.currency ?? 'USD',
        utcOffset: flags.utcOffset,
        idPrefix: flags.idPrefix ?? (fromStdin ? 'stdin' : basename(file)),
      });
      process.stderr.write(JSON.stringify({ import: summary }) + '\n');
    });
}
