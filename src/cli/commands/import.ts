import { defineCommand, UsageError } from '../command.ts';
import { applyImport, readImportFile } from '../../provisioning/import.ts';

export default defineCommand({
  name: 'import',
  usage: ['import FILE.json            load clients, citizens, companies and operators (idempotent)'],
  async run(args, values, ctx) {
    if (args.length !== 1) throw new UsageError('import needs one file');
    const idp = await ctx.idp();
    const summary = await applyImport(readImportFile(args[0]!, idp.services), idp.services, idp.provider);
    return values.json ? JSON.stringify(summary) : `imported ${args[0]}: ${summary.clients} clients, ${summary.citizens} citizens, ${summary.companies} companies, ${summary.operators} operators; ${summary.passwordsSet} initial passwords set`;
  },
});
