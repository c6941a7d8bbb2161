/** {{char}} and {{user}} (any case, spaces inside the braces allowed), as SillyTavern writes them. */
export function expandMacros(text: string, names: { char: string; user: string }): string {
  return text.replace(/\{\{\s*(char|user)\s*\}\}/gi, (_m, which: string) => (which.toLowerCase() === 'char' ? names.char : names.user));
}
