/** What strangers and limited people are told; no internal detail, no credential. */
export const MESSAGES = {
  refused: 'This familiar is private. Ask its owner for access.',
  pairingFull: 'This familiar is private and has too many pending requests right now. Try again later.',
  limited: 'You are sending messages too quickly. Please wait a moment.',
  failed: 'Sorry, something went wrong while answering. Please try again later.',
  notOwner: 'Only the owner can do that.',
  pairing: (code: string) => `This familiar is private. To ask for access, give its owner this pairing code: ${code} (valid for 1 hour).`,
  approved: 'The owner approved you. You can chat now.',
} as const;
