/**
 * Twitch's own standing of a viewer in the channel, lowest first; `HEARTH_TWITCH_ADMIT` names the
 * lowest one answered without pairing. Badges come with every chat message (EventSub), so only
 * `followers` costs an API call.
 */
const TWITCH_ROLES = ['everyone', 'followers', 'subscribers', 'vips', 'moderators', 'broadcaster'] as const;
export type TwitchRole = (typeof TWITCH_ROLES)[number];
/** What the operator may choose; `none`: only the allowlist, paired viewers and the broadcaster. */
export type TwitchAdmit = Exclude<TwitchRole, 'broadcaster'> | 'none';

export const roleRank = (role: TwitchRole): number => TWITCH_ROLES.indexOf(role);

/** The highest role the chat badges prove (`founder` is a subscriber; following shows no badge). */
export function roleOf(badges: Readonly<Record<string, string>>): TwitchRole {
  if ('broadcaster' in badges) return 'broadcaster';
  if ('moderator' in badges || 'lead_moderator' in badges) return 'moderators';
  if ('vip' in badges) return 'vips';
  if ('subscriber' in badges || 'founder' in badges) return 'subscribers';
  return 'everyone';
}
