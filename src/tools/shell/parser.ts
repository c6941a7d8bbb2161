import { createRequire } from 'node:module';
import type { Node, Tree } from 'web-tree-sitter';

export type { Node as ShellNode } from 'web-tree-sitter';

/** A bash parser (tree-sitter-bash compiled to wasm); the only way Hearth reads a shell command. */
export interface ShellParser {
  /** Returns the syntax tree, or null when the text cannot be parsed without errors. */
  parse(text: string): Tree | null;
}

/**
 * Loads the tree-sitter runtime and the bash grammar from their npm packages (EXEC-1).
 * Async once (the server does it on the first shell command: see lazyShellPolicy); parsing is
 * synchronous afterwards.
 */
export async function createShellParser(): Promise<ShellParser> {
  const { Language, Parser } = await import('web-tree-sitter');
  const require = createRequire(import.meta.url);
  const runtimeWasm = require.resolve('web-tree-sitter/web-tree-sitter.wasm');
  const grammarWasm = require.resolve('tree-sitter-bash/tree-sitter-bash.wasm');
  await Parser.init({ locateFile: () => runtimeWasm });
  const language = await Language.load(grammarWasm);
  const parser = new Parser();
  parser.setLanguage(language);
  return {
    parse(text) {
      const tree = parser.parse(text);
      if (!tree) return null;
      if (tree.rootNode.hasError || hasMissing(tree.rootNode)) {
        tree.delete();
        return null;
      }
      return tree;
    },
  };
}

function hasMissing(node: Node): boolean {
  if (node.isMissing || node.isError) return true;
  for (const child of node.children) if (hasMissing(child)) return true;
  return false;
}
