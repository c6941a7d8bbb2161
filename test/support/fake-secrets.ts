/** Clearly fake credentials of each shape a log line, JSON or pretty, must never carry (LOG-1). */
export const FAKE_SECRETS: Readonly<Record<string, string>> = {
  bearer: 'Bearer abcDEF123456ghiJKL789mnoPQR',
  openai: 'sk-proj-FAKEfake0123456789abcdefABCDEF',
  openrouter: 'sk-or-v1-0123456789abcdef0123456789abcdef',
  hearth: 'hth_FAKE7Zq0123456789abcdefghijABCDEFGHIJ',
  telegram: '123456789:AAFakeFakeFakeFakeFakeFakeFake_12345',
  discord: 'MTAxMjM0NTY3ODkwMTIzNDU2Nw.GhIjKl.FakeFakeFakeFakeFakeFakeFakeFake12',
  jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlLWZha2UtZmFrZQ',
  urlPassword: 'postgres://hearth:pw-FAKE-s3cret@db.example:5432/hearth',
  twitch: 'oauth:abcdefghij0123456789klmnop',
  github: 'ghp_FAKEfakeFAKEfake0123456789abcdefAB',
};

/** The part of a fake credential that must not appear: the token itself, not its `Bearer ` or URL wrapping. */
export const tokenOf = (value: string): string =>
  value.startsWith('Bearer ') ? value.slice(7) : value.includes('://') ? 'pw-FAKE-s3cret' : value;
