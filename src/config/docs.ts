import { VARIABLES, type VariableSpec } from './variables.js';

const README_START = '<!-- config-table:start -->';
const README_END = '<!-- config-table:end -->';

function entries(): Array<[string, VariableSpec]> {
  return Object.entries(VARIABLES) as Array<[string, VariableSpec]>;
}

/** The README's configuration table, generated from the schema so it cannot drift. */
export function configTable(): string {
  const rows = entries().map(
    ([name, spec]) =>
      `| \`${name}\` | ${spec.defaultText ?? ''} | ${spec.secret ? 'yes' : ''} | ${spec.description.replace(/\|/g, '\\|')} |`,
  );
  return ['| Variable | Default | Secret | Meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** .env.example: every variable with a comment and no value. */
export function envExample(): string {
  const lines = [
    '# Hearth configuration. Copy to .env (gitignored) and fill in what you need.',
    '# Any variable may instead be given as NAME_FILE=/path/to/file holding the value.',
    '# Never commit real values.',
    '',
  ];
  for (const [name, spec] of entries()) {
    lines.push(`# ${spec.description}${spec.defaultText ? ` (default: ${spec.defaultText})` : ''}${spec.secret ? ' [secret]' : ''}`);
    lines.push(`${name}=`, '');
  }
  return lines.join('\n');
}

/** Replaces the generated block of the README with the current table. */
export function withConfigTable(readme: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error('README has no config-table markers');
  return `${readme.slice(0, start + README_START.length)}\n${configTable()}\n${readme.slice(end)}`;
}

export function readmeConfigBlock(readme: string): string | undefined {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  return start < 0 || end < start ? undefined : readme.slice(start + README_START.length, end).trim();
}
