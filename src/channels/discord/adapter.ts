import {
  Client,
  GatewayIntentBits,
  Partials,
  Routes,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Message,
} from 'discord.js';
import type { LeasedState } from '../../cluster/index.js';
import type { Logger } from '../../logging/index.js';
import type { AuditLog } from '../../security/audit/index.js';
import { exactPieces, promptLines, type ApprovalButtons } from '../approval-buttons.js';
import type { ApprovalPrompt } from '../core/types.js';
import {
  ChannelError,
  escapeDiscordMarkdown,
  MESSAGES,
  renderDiscord,
  type ChannelAdapter,
  type ChannelHub,
  type ChannelSender,
  type PersonCommands,
  type PersonExport,
  type SecretScrubber,
} from '../core/index.js';
import type { FamiliarRouter } from '../familiars/index.js';
import { ADMIN_COMMANDS, SLASH_COMMANDS, VOICE_COMMANDS } from './commands.js';
import { createDiscordSessionStore } from './session-store.js';
import { createDiscordVoice, VOICE_COMMAND_NAMES, type DiscordSpeech } from './voice.js';

export interface DiscordAdapterOptions {
  readonly token: string;
  readonly applicationId: string;
  readonly hub: ChannelHub;
  readonly logger: Logger;
  readonly scrubber: SecretScrubber;
  /** Guild allowlist, read on every event (settings may change). */
  readonly guildIds: () => readonly string[];
  readonly requiredRoleId?: string | undefined;
  readonly adminRoleId?: string | undefined;
  /** /remember, /memories, /why, /forget, /export for the person themself (memory concern); absent = unavailable. */
  readonly personCommands?: PersonCommands | undefined;
  /** REST API root and version (tests point it at a fake); the gateway URL comes from GET /gateway/bot. */
  readonly restApi?: string;
  /** Shell approvals: the owner's Approve/Deny buttons in a DM (EXEC-1); absent = no buttons. */
  readonly approvals?: ApprovalButtons | undefined;
  /** Which familiar answers where (issue #22): per guild, channel, role, DM; absent = the channel's one familiar. */
  readonly familiars?: FamiliarRouter | undefined;
  /** Voice channels (/join, /leave; CH-5) through the voice concern; absent = no voice, no GuildVoiceStates intent. */
  readonly voice?: DiscordSpeech | undefined;
  /** Where voice turns are audited (`voice.turn`). */
  readonly audit?: AuditLog | undefined;
  /** Silence that ends a spoken turn, in ms (default 800). */
  readonly voiceEndSilenceMs?: number | undefined;
  /** The bot lease's state (#19): the gateway session and unanswered messages are kept there, so the next owner RESUMEs it and answers those; absent = in memory. */
  readonly sessions?: LeasedState | undefined;
}

/** Nobody is pinged by anything the familiar says (LLM-3). */
const NO_MENTIONS = { parse: [] as never[], repliedUser: false };

/**
 * Discord over discord.js (CH-3): intents Guilds, GuildMessages, DirectMessages only (no
 * privileged MessageContent: in servers the bot answers mentions, whose content Discord always
 * delivers). Guilds outside the allowlist are ignored; DMs follow the Telegram pairing rules.
 */
export function createDiscordAdapter(options: DiscordAdapterOptions): ChannelAdapter {
  const { hub, logger, scrubber } = options;
  scrubber.register(options.token);
  const sessions = options.sessions ? createDiscordSessionStore(options.sessions, logger) : undefined;
  const client = new Client({
    intents: [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.DirectMessages,
      // voice channels only: who is in which channel (not privileged)
      ...(options.voice ? [GatewayIntentBits.GuildVoiceStates] : []),
    ],
    partials: [Partials.Channel],
    allowedMentions: NO_MENTIONS,
    ...(options.restApi ? { rest: { api: options.restApi } } : {}),
    ...(sessions ? { ws: sessions.ws } : {}),
  });
  sessions?.attach(client);
  const logError = (what: string) => (err: unknown) => logger.error({ err: scrubber.error(err), channel: 'discord' }, what);
  const guildAllowed = (guildId: string | null) => guildId === null || options.guildIds().includes(guildId);
  const roleOk = (roles: readonly string[] | undefined, guildId: string | null) =>
    guildId === null || !options.requiredRoleId || (roles ?? []).includes(options.requiredRoleId);

  type Sendable = (content: {
    content: string;
    allowedMentions: typeof NO_MENTIONS;
    nonce?: string;
    enforceNonce?: boolean;
  }) => Promise<unknown>;
  /**
   * With `answering` (the message replied to), each part carries an enforced nonce made of its id:
   * a reply a takeover redoes (#19) that had already been sent is not posted again by Discord.
   */
  const sendParts = async (send: Sendable, parts: readonly string[], answering?: string) => {
    for (const [i, part] of parts.entries())
      await send({
        content: part,
        allowedMentions: NO_MENTIONS,
        ...(answering ? { nonce: `${answering}-${i}`, enforceNonce: true } : {}),
      });
  };

  const router = options.familiars;
  const voice = options.voice
    ? createDiscordVoice({
        client,
        hub,
        speech: options.voice,
        logger,
        scrubber,
        audit: options.audit,
        guildAllowed: (id) => guildAllowed(id),
        roleOk: (roles, id) => roleOk(roles, id),
        familiar: router ? (places, userId) => router.resolve('discord', places, userId) : undefined,
        endSilenceMs: options.voiceEndSilenceMs,
      })
    : undefined;
  /** Role mentions in a message: what discord.js resolved, and the raw `<@&id>` forms (roles not cached yet). */
  const roleMentions = (message: Message) => [
    ...new Set([...message.mentions.roles.keys(), ...[...message.content.matchAll(/<@&(\d{1,20})>/g)].map((m) => m[1]!)]),
  ];
  /** The familiar mentioned by one of its roles (`role:ID` routes), if any. */
  const byRole = async (roles: readonly string[]) => {
    if (!router || roles.length === 0) return undefined;
    return (await router.routesOf('discord', 'role')).find((r) => roles.includes(r.place.slice('role:'.length)))?.familiarId;
  };
  /**
   * Which familiar answers (issue #22), for the admitted person: the one whose role was mentioned, else
   * the one named first ("Luna, …"), else the channel's, the guild's (in a DM: the person's `/familiar`)
   * route, else the default. The text goes to it as written.
   */
  const familiarOf = (text: string, places: readonly string[], roleFamiliar?: string) =>
    router
      ? {
          familiar: async (userId: string) =>
            roleFamiliar ?? (await router.named(text, userId))?.familiar.id ?? router.resolve('discord', places, userId),
        }
      : {};
  const placesOf = (guildId: string | null, channelId: string, userId: string) =>
    guildId === null ? [`dm:${userId}`] : [`channel:${channelId}`, `guild:${guildId}`];

  /**
   * A message is answered only once the write that keeps it pending has landed, and leaves
   * `pending` once its handling finished, so a takeover redoes exactly what was cut short (#19).
   */
  const onMessage = async (message: Message) => {
    try {
      await sessions?.durable();
      await answerMessage(message);
    } finally {
      sessions?.done(message.id);
    }
  };

  const answerMessage = async (message: Message) => {
    if (message.author.bot || message.webhookId) return;
    const guildId = message.guildId;
    if (!guildAllowed(guildId)) return; // not on the list: ignored, not even refused
    const roleFamiliar = guildId !== null ? await byRole(roleMentions(message)) : undefined;
    if (guildId !== null && !message.mentions.users.has(client.user?.id ?? '') && !roleFamiliar) return;
    const sender: ChannelSender = { channel: 'discord', externalId: message.author.id, displayName: message.author.username };
    if (
      !roleOk(
        message.member?.roles.cache.map((r) => r.id),
        guildId,
      )
    ) {
      await hub.refuseCommand(sender, 'message:missing_role');
      return;
    }
    const channel = message.channel;
    const text = message.content
      .replace(/<@!?\d+>/g, '')
      .replace(/<@&\d+>/g, '')
      .trim();
    const result = await hub.handle(sender, text, `discord:channel:${message.channelId}`, {
      ...familiarOf(text, placesOf(guildId, message.channelId, message.author.id), roleFamiliar),
      vouched: guildId !== null, // in a server the guild allowlist and role vouch; DMs pair like Telegram
      render: renderDiscord,
      typing: { send: () => (channel.isSendable() ? channel.sendTyping() : undefined) },
    });
    await sendParts((c) => (channel.isSendable() ? channel.send(c) : Promise.resolve()), result.parts, message.id);
  };

  /** Role ids of the member behind an interaction (the raw API gives an array, the cache a collection). */
  const memberRoles = (interaction: ChatInputCommandInteraction): readonly string[] =>
    interaction.member && 'roles' in interaction.member
      ? Array.isArray(interaction.member.roles)
        ? interaction.member.roles
        : interaction.member.roles.cache.map((r) => r.id)
      : [];

  const isAdmin = (interaction: ChatInputCommandInteraction, sender: ChannelSender) => {
    if (hub.isOwner(sender)) return true;
    const roles = memberRoles(interaction);
    return Boolean(options.adminRoleId && interaction.guildId && roles.includes(options.adminRoleId));
  };

  /** The person's memory commands (see PersonCommands): answered without a turn, always for the caller's own person. */
  const personCommand = async (
    interaction: ChatInputCommandInteraction,
    userId: string,
    sender: ChannelSender,
    files: PersonExport[],
  ): Promise<string> => {
    const person = options.personCommands;
    if (!person) return 'That command is not available on this Hearth.';
    const name = interaction.commandName;
    // The sender goes along for the audit entries.
    if (name === 'remember') return person.remember(userId, interaction.options.getString('text', true), sender);
    if (name === 'memories') return person.memories(userId, interaction.options.getInteger('page') ?? 1, sender);
    if (name === 'why') return person.why(userId, interaction.options.getString('memory', true), sender);
    if (name === 'forget') return person.forget(userId, interaction.options.getString('memory') ?? undefined, sender);
    if (name === 'export') {
      // the file goes with the ephemeral reply: only the caller ever sees it
      const file = await person.exportFile(userId, sender);
      if (file.count > 0) files.push(file);
      return person.export(userId, sender);
    }
    return 'Unknown command.';
  };

  /**
   * `/familiar [name]`: who answers here and who else could; with a name, in a DM the person picks
   * their familiar (`dm:ID`), in a server an admin sets this channel's (`channel:ID`); others only see.
   */
  const familiarCommand = async (places: readonly string[], wanted: string | undefined, userId: string, maySet: boolean) => {
    if (!router) return 'Only one familiar answers here.';
    const current = await router.describe(await router.resolve('discord', places, userId));
    const all = await router.familiars(userId);
    if (!wanted) {
      const others = all.filter((f) => f.id !== current?.id).map((f) => f.name);
      return `${current?.name ?? 'The familiar'} answers here.${others.length ? ` Also here: ${others.join(', ')} (mention them by name).` : ''}`;
    }
    if (!maySet) return 'Only an admin can choose the familiar of a server channel; mention a familiar by name to talk to it.';
    const found = await router.find(wanted, userId);
    if (!found)
      return `I know no familiar called “${wanted.slice(0, 60)}”.${all.length ? ` Try: ${all.map((f) => f.name).join(', ')}.` : ''}`;
    await router.set('discord', places[0]!, found.id, { type: 'user', id: userId });
    return `${found.name} answers ${places[0]!.startsWith('dm:') ? 'you here' : 'in this channel'} from now on.`;
  };

  const onCommand = async (interaction: ChatInputCommandInteraction) => {
    if (!guildAllowed(interaction.guildId)) return;
    // not acted on before its sequence is stored: a takeover never replays it (#19)
    await sessions?.durable();
    const sender: ChannelSender = { channel: 'discord', externalId: interaction.user.id, displayName: interaction.user.username };
    // an interaction has one (ephemeral) reply: the first rendered part
    const respondParts = (parts: readonly string[]) => interaction.editReply({ content: parts[0] ?? '…', allowedMentions: NO_MENTIONS });
    const respond = (text: string) => respondParts(renderDiscord(text));
    await interaction.deferReply({ ephemeral: true });
    const name = interaction.commandName;
    // /link [code] needs no admission (#15); the reply is ephemeral, so a code is never shown to a crowd.
    if (name === 'link') return respond(await hub.link(sender, interaction.options.getString('code') ?? undefined));
    if (ADMIN_COMMANDS.has(name)) {
      if (!isAdmin(interaction, sender)) {
        await hub.refuseCommand(sender, name);
        return respond(MESSAGES.notOwner);
      }
      if (name === 'pairings') {
        const list = await hub.pending('discord');
        return interaction.editReply({
          allowedMentions: NO_MENTIONS,
          embeds: [
            {
              title: 'Pending pairing requests',
              description: list.length
                ? list.map((p) => `${p.code} — ${escapeDiscordMarkdown(p.displayName ?? p.externalId)}`).join('\n')
                : 'None.',
            },
          ],
        });
      }
      const result = await hub.decide(
        { code: interaction.options.getString('code', true) },
        name === 'approve' ? 'approved' : 'denied',
        sender,
      );
      return respond(
        result.kind === 'ok'
          ? `Pairing ${result.pairing.code} ${result.pairing.status}.`
          : `Could not ${name}: ${result.kind.replace('_', ' ')}.`,
      );
    }
    if (!roleOk(memberRoles(interaction), interaction.guildId)) {
      await hub.refuseCommand(sender, `${name}:missing_role`);
      return respond(MESSAGES.refused);
    }
    if (voice && VOICE_COMMAND_NAMES.has(name)) return respondParts(await voice.command(interaction, sender));
    const places = placesOf(interaction.guildId, interaction.channelId, interaction.user.id);
    if (name === 'familiar') {
      const wanted = interaction.options.getString('name') ?? undefined;
      const admin = isAdmin(interaction, sender);
      const result = await hub.handle(sender, '', `discord:channel:${interaction.channelId}`, {
        vouched: interaction.guildId !== null,
        render: renderDiscord,
        answer: (person) => familiarCommand(places, wanted, person.userId, interaction.guildId === null || admin),
      });
      return respondParts(result.parts);
    }
    const files: PersonExport[] = [];
    const result = await hub.handle(
      sender,
      name === 'ask' ? interaction.options.getString('text', true) : '',
      `discord:channel:${interaction.channelId}`,
      {
        vouched: interaction.guildId !== null,
        render: renderDiscord,
        answer:
          name === 'ask'
            ? undefined
            : async (person) => {
                // the memory commands act on the memories kept with the familiar that answers here
                const familiarId = router ? await router.resolve('discord', places, person.userId) : undefined;
                return personCommand(interaction, person.userId, familiarId ? { ...sender, familiarId } : sender, files);
              },
        ...(name === 'ask' ? familiarOf(interaction.options.getString('text', true), places) : {}),
      },
    );
    if (result.kind === 'reply' && files.length)
      return interaction.editReply({
        content: result.parts[0] ?? '…',
        allowedMentions: NO_MENTIONS,
        files: files.map((f) => ({ attachment: Buffer.from(f.content, 'utf8'), name: f.name })),
      });
    return respondParts(result.parts);
  };

  client.on('messageCreate', (m) => void onMessage(m).catch(logError('discord message failed')));
  /** Approve/Deny under an approval request: the custom id is a nonce and nothing else; approvals decide who counts. */
  const onButton = async (interaction: ButtonInteraction) => {
    await sessions?.durable();
    const sender: ChannelSender = { channel: 'discord', externalId: interaction.user.id, displayName: interaction.user.username };
    const answer = options.approvals
      ? await options.approvals.press(sender, interaction.customId)
      : { ok: false, text: 'Nothing to decide here.' };
    if (answer.ok)
      await interaction.update({ content: `${interaction.message.content}\n${answer.text}`, components: [], allowedMentions: NO_MENTIONS });
    else await interaction.reply({ content: answer.text, ephemeral: true, allowedMentions: NO_MENTIONS });
  };

  client.on('interactionCreate', (i) => {
    if (i.isButton()) void onButton(i).catch(logError('discord button failed'));
    if (i.isChatInputCommand()) void onCommand(i).catch(logError('discord command failed'));
  });
  client.on('error', logError('discord client error'));

  return {
    name: 'discord',
    async start() {
      const ready = new Promise<void>((resolve) => client.once('clientReady', () => resolve()));
      await sessions?.load();
      await client.login(options.token).catch((err: unknown) => {
        throw new ChannelError('CHANNEL_START_FAILED', `discord: ${scrubber.error(err).message}`);
      });
      await ready;
      await client.rest
        .put(Routes.applicationCommands(options.applicationId), {
          // `/familiar` only where several familiars can answer
          body: [...(router ? SLASH_COMMANDS : SLASH_COMMANDS.filter((c) => c.name !== 'familiar')), ...(voice ? VOICE_COMMANDS : [])],
        })
        .catch(logError('discord command registration failed'));
    },
    async stop() {
      await voice?.stop();
      await client.destroy();
    },
    async offerApproval(target: string, prompt: ApprovalPrompt) {
      const { head, command, tail } = promptLines(prompt);
      const dm = await (await client.users.fetch(target)).createDM();
      await dm.send({ content: head, allowedMentions: NO_MENTIONS });
      // the whole command, exactly, in code blocks (no markdown, no pings); a fence inside it is split across blocks
      for (const piece of exactPieces(command, 1900, undefined, '```'))
        await dm.send({ content: `\`\`\`\n${piece}\n\`\`\``, allowedMentions: NO_MENTIONS });
      await dm.send({
        content: tail,
        allowedMentions: NO_MENTIONS,
        components: [
          {
            type: 1,
            components: [
              { type: 2, style: 3, label: 'Approve', custom_id: prompt.approveNonce },
              { type: 2, style: 4, label: 'Deny', custom_id: prompt.denyNonce },
            ],
          },
        ],
      });
    },
    async deliver(target, text) {
      const user = await client.users.fetch(target);
      const dm = await user.createDM();
      await sendParts((c) => dm.send(c), renderDiscord(text));
    },
  };
}
