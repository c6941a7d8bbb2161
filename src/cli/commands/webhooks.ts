import { CliError, EXIT, println, withHearth, type Command } from '../io.js';

/** `hearth webhooks add|list|remove`: webhook secrets, stored sealed; a new secret is printed once (HOOK-1). */
export const webhooksCommand: Command = {
  name: 'webhooks',
  summary: 'Create, list and remove signed-webhook secrets',
  usage: `Usage: hearth webhooks add NAME      create (or replace) the secret of NAME and print it once
       hearth webhooks list          names and the last four characters of each secret
       hearth webhooks remove NAME   delete the secret; the webhook answers 404 again

Senders sign each request: Hearth-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`,
  async run(args, io) {
    const [sub, name] = args;
    if (sub !== 'add' && sub !== 'list' && sub !== 'remove')
      throw new CliError(`unknown webhooks subcommand: ${sub ?? '(none)'} (see hearth webhooks --help)`, EXIT.usage);
    if (sub !== 'list' && !name) throw new CliError(`webhooks ${sub} needs a NAME`, EXIT.usage);
    return withHearth(io, async (hearth) => {
      const known = hearth.webhooks.handlerNames();
      if (sub === 'list') {
        for (const w of await hearth.webhooks.list()) println(io.stdout, `${w.name}\t${w.secret}\t${new Date(w.createdAt).toISOString()}`);
        return EXIT.ok;
      }
      if (sub === 'remove') {
        if (!(await hearth.webhooks.removeSecret(name!))) throw new CliError(`no secret configured for webhook ${name}`);
        println(io.stdout, `removed the secret of ${name}; the webhook is disabled`);
        return EXIT.ok;
      }
      if (!known.includes(name!)) throw new CliError(`unknown webhook ${name}; known: ${known.join(', ')}`, EXIT.usage);
      const secret = await hearth.webhooks.createSecret(name!);
      // Printed once; only the sealed form is stored.
      println(io.stdout, secret);
      return EXIT.ok;
    });
  },
};
