import { SlashCommandBuilder } from 'discord.js';

/** Slash commands: the person's own (/ask, /remember, /forget, /export) and the admin's (/pairings, /approve, /deny). */
export const SLASH_COMMANDS = [
  new SlashCommandBuilder()
    .setName('ask')
    .setDescription('Ask the familiar')
    .addStringOption((o) => o.setName('text').setDescription('Your message').setRequired(true).setMaxLength(4000)),
  new SlashCommandBuilder()
    .setName('remember')
    .setDescription('Ask the familiar to remember something about you')
    .addStringOption((o) => o.setName('text').setDescription('What to remember').setRequired(true).setMaxLength(2000)),
  new SlashCommandBuilder().setName('forget').setDescription('Make the familiar forget what it remembers about you'),
  new SlashCommandBuilder().setName('export').setDescription('Get what the familiar remembers about you'),
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

/** View Channels (1 << 10) and Send Messages (1 << 11): all the bot needs (CH-3). */
const DISCORD_PERMISSIONS = (1n << 10n) | (1n << 11n);

/** The invite URL the minimal scopes and permissions imply. */
export function discordInviteUrl(applicationId: string): string {
  return `https://discord.com/oauth2/authorize?client_id=${encodeURIComponent(applicationId)}&scope=bot+applications.commands&permissions=${DISCORD_PERMISSIONS}`;
}
