/**
 * npm run profiles:validate [--expect-invalid] [--profiles-root <dir>] [files or directories...]
 *
 * Validates every hardware profile under hardware-profiles/ and every site under
 * sites/ (or the given files): `ok <file>` per valid file, one line per issue,
 * a summary, exit code 1 when anything is invalid. See libs/profiles/src/validate-cli.ts.
 */
import { runValidateCli } from '#libs/profiles';

try {
  process.exitCode = runValidateCli(process.argv.slice(2));
} catch (error) {
  // A broken installation (no schema, no repository root) is one line, not a stack trace.
  console.error(`profiles:validate: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}
