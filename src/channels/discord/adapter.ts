import { Client, GatewayIntentBits, Partials, Routes, type ChatInputCommandInteraction, type Message } from 'discord.js';
import type { Logger } from '../../logging/index.js';
import {
  ChannelError,
  escapeDiscordMarkdown,
  MESSAGES,
  renderDiscord,
  type ChannelAdapter,
  type ChannelHub,
  type ChannelSender,
  type PersonCommands,
  type SecretScrubber,
} from '../core/index.js';
import { ADMIN_COMMANDS, SLASH_COMMANDS } from './commands.js';

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
  /** /remember, /forget, /export for the person themself (memory concern); absent = unavailable. */
  readonly personCommands?: PersonCommands | undefined;
  /** REST API root and version (tests point it at a fake); the gateway URL comes from GET /gateway/bot. */
  readonly restApi?: string;
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
  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.DirectMessages],
    partials: [Partials.Channel],
    allowedMentions: NO_MENTIONS,
    ...(options.restApi ? { rest: { api: options.restApi } } : {}),
  });
  const logError = (what: string) => (err: unknown) => logger.error({ err: scrubber.error(err), channel: 'discord' }, what);
  const guildAllowed = (guildId: string | null) => guildId === null || options.guildIds().includes(guildId);
  const roleOk = (roles: readonly string[] | undefined, guildId: string | null) =>
    guildId === null || !options.requiredRoleId || (roles ?? []).includes(options.requiredRoleId);

  type Sendable = (content: { content: string; allowedMentions: typeof NO_MENTIONS }) => Promise<unknown>;
  const sendParts = async (send: Sendable, parts: readonly string[]) => {
    for (const part of parts) await send({ content: part, allowedMentions: NO_MENTIONS });
  };

  const onMessage = async (message: Message) => {
    if (message.author.bot || message.webhookId) return;
    const guildId = message.guildId;
    if (!guildAllowed(guildId)) return; // not on the list: ignored, not even refused
    if (guildId !== null && !message.mentions.users.has(client.user?.id ?? '')) return;
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
    const text = message.content.replace(/<@!?\d+>/g, '').trim();
    const result = await hub.handle(sender, text, `discord:channel:${message.channelId}`, {
      vouched: guildId !== null, // in a server the guild allowlist and role vouch; DMs pair like Telegram
      render: renderDiscord,
      typing: { send: () => (channel.isSendable() ? channel.sendTyping() : undefined) },
    });
    await sendParts((c) => (channel.isSendable() ? channel.send(c) : Promise.resolve()), result.parts);
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

  /** /remember, /forget, /export: answered without a turn, always for the caller's own person. */
  const personCommand = async (interaction: ChatInputCommandInteraction, userId: string, sender: ChannelSender): Promise<string> => {
    const person = options.personCommands;
    if (!person) return 'That command is not available on this Hearth.';
    const name = interaction.commandName;
    // The sender goes along for the audit entries of these memory writes.
    if (name === 'remember') return person.remember(userId, interaction.options.getString('text', true), sender);
    if (name === 'forget') return person.forget(userId, sender);
    if (name === 'export') return person.export(userId);
    return 'Unknown command.';
  };

  const onCommand = async (interaction: ChatInputCommandInteraction) => {
    if (!guildAllowed(interaction.guildId)) return;
    const sender: ChannelSender = { channel: 'discord', externalId: interaction.user.id, displayName: interaction.user.username };
    // an interaction has one (ephemeral) reply: the first rendered part
    const respondParts = (parts: readonly string[]) => interaction.editReply({ content: parts[0] ?? '…', allowedMentions: NO_MENTIONS });
    const respond = (text: string) => respondParts(renderDiscord(text));
    await interaction.deferReply({ ephemeral: true });
    const name = interaction.commandName;
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
    const result = await hub.handle(
      sender,
      name === 'ask' ? interaction.options.getString('text', true) : '',
      `discord:channel:${interaction.channelId}`,
      {
        vouched: interaction.guildId !== null,
        render: renderDiscord,
        answer: name === 'ask' ? undefined : (person) => personCommand(interaction, person.userId, sender),
      },
    );
    return respondParts(result.parts);
  };

  client.on('messageCreate', (m) => void onMessage(m).catch(logError('discord message failed')));
  client.on('interactionCreate', (i) => {
    if (i.isChatInputCommand()) void onCommand(i).catch(logError('discord command failed'));
  });
  client.on('error', logError('discord client error'));

  return {
    name: 'discord',
    async start() {
      const ready = new Promise<void>((resolve) => client.once('clientReady', () => resolve()));
      await client.login(options.token).catch((err: unknown) => {
        throw new ChannelError('CHANNEL_START_FAILED', `discord: ${scrubber.error(err).message}`);
      });
      await ready;
      await client.rest
        .put(Routes.applicationCommands(options.applicationId), { body: SLASH_COMMANDS })
        .catch(logError('discord command registration failed'));
    },
    async stop() {
      await client.destroy();
    },
    async deliver(target, text) {
      const user = await client.users.fetch(target);
      const dm = await user.createDM();
      await sendParts((c) => dm.send(c), renderDiscord(text));
    },
  };
}
