import { SlashCommandBuilder } from 'discord.js';

/** Slash commands: the person's own (/ask, /remember, /memories, /why, /forget, /export, /link) and the admin's (/pairings, /approve, /deny). */
export const SLASH_COMMANDS = [
  new SlashCommandBuilder()
    .setName('ask')
    .setDescription('Ask the familiar')
    .addStringOption((o) => o.setName('text').setDescription('Your message').setRequired(true).setMaxLength(4000)),
  new SlashCommandBuilder()
    .setName('remember')
    .setDescription('Ask the familiar to remember something about you')
    .addStringOption((o) => o.setName('text').setDescription('What to remember').setRequired(true).setMaxLength(2000)),
  new SlashCommandBuilder()
    .setName('memories')
    .setDescription('See what the familiar remembers about you (numbered, ten a page)')
    .addIntegerOption((o) => o.setName('page').setDescription('Page number').setRequired(false).setMinValue(1).setMaxValue(100)),
  new SlashCommandBuilder()
    .setName('why')
    .setDescription('Where a memory came from: channel, time, the turn')
    .addStringOption((o) => o.setName('memory').setDescription('Its number from /memories').setRequired(true).setMaxLength(100)),
  new SlashCommandBuilder()
    .setName('forget')
    .setDescription('Make the familiar forget one memory, or everything it remembers about you')
    .addStringOption((o) =>
      o.setName('memory').setDescription('A number from /memories, or "everything" (the default)').setRequired(false).setMaxLength(100),
    ),
  new SlashCommandBuilder().setName('export').setDescription('Get what the familiar remembers about you, as a file only you see'),
  new SlashCommandBuilder()
    .setName('link')
    .setDescription('Link this Discord account to your Hearth account (with a code from your Account page, or get one)')
    .addStringOption((o) => o.setName('code').setDescription('Link code from your Account page').setRequired(false).setMaxLength(32)),
  new SlashCommandBuilder()
    .setName('familiar')
    .setDescription('Which familiar answers here; in a DM, pick yours (admins: this channel’s)')
    .addStringOption((o) => o.setName('name').setDescription('The familiar’s name').setRequired(false).setMaxLength(100)),
  new SlashCommandBuilder().setName('pairings').setDescription('Admin: list pending pairing requests').setDMPermission(false),
  new SlashCommandBuilder()
    .setName('approve')
    .setDescription('Admin: approve a pairing code')
    .addStringOption((o) => o.setName('code').setDescription('Pairing code').setRequired(true).setMaxLength(20)),
  new SlashCommandBuilder()
    .setName('deny')
    .setDescription('Admin: deny a pairing code')
    .addStringOption((o) => o.setName('code').setDescription('Pairing code').setRequired(true).setMaxLength(20)),
].map((c) => c.toJSON());

export const ADMIN_COMMANDS = new Set(['pairings', 'approve', 'deny']);

/** Voice channels (CH-5), registered only when the voice concern is there: the familiar joins the caller's channel, or leaves. */
export const VOICE_COMMANDS = [
  new SlashCommandBuilder().setName('join').setDescription('The familiar joins your voice channel and listens').setDMPermission(false),
  new SlashCommandBuilder().setName('leave').setDescription('The familiar leaves the voice channel').setDMPermission(false),
].map((c) => c.toJSON());

/** View Channels (1 << 10) and Send Messages (1 << 11): all the bot needs for text (CH-3). */
const DISCORD_PERMISSIONS = (1n << 10n) | (1n << 11n);
/** Voice channels add Connect (1 << 20) and Speak (1 << 21), nothing else (CH-5). */
const VOICE_PERMISSIONS = (1n << 20n) | (1n << 21n);

/** The invite URL the minimal scopes and permissions imply (`voice`: with Connect and Speak for /join). */
export function discordInviteUrl(applicationId: string, options: { voice?: boolean } = {}): string {
  const permissions = options.voice ? DISCORD_PERMISSIONS | VOICE_PERMISSIONS : DISCORD_PERMISSIONS;
  return `https://discord.com/oauth2/authorize?client_id=${encodeURIComponent(applicationId)}&scope=bot+applications.commands&permissions=${permissions}`;
}
