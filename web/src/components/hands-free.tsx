import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { messageOf } from '../api.js';
import { listen, type HandsFree } from '../voice/hands-free.js';
import { createPlayer, voiceTurn } from '../voice/voice.js';
import './voice-button.css';
import './hands-free.css';

/**
 * The hands-free toggle in the chat composer (CH-5): while on, each utterance the browser's
 * voice-activity detection hears is sent as a voice turn and the reply plays as it arrives; speaking
 * while a reply plays stops it (barge-in). The microphone is asked for when it is switched on.
 */
export function HandsFreeToggle(props: {
  disabled: boolean;
  familiarName: string;
  conversation: () => Promise<string>;
  onTurnEnd: (conversationId: string) => void;
}): JSX.Element | null {
  const [on, setOn] = useState(false);
  const [starting, setStarting] = useState(false);
  const [status, setStatus] = useState('');
  const [failed, setFailed] = useState(false);
  const [turns, setTurns] = useState(0);
  const [played, setPlayed] = useState(0);
  const [bargeIns, setBargeIns] = useState(0);
  const listener = useRef<HandsFree | null>(null);
  const player = useRef<ReturnType<typeof createPlayer> | null>(null);
  const queue = useRef(Promise.resolve());
  const generation = useRef(0);
  const supported = typeof navigator !== 'undefined' && !!navigator.mediaDevices?.getUserMedia && typeof Worker !== 'undefined';

  const say = (text: string, error = false) => {
    setStatus(text);
    setFailed(error);
  };
  const stopAll = () => {
    generation.current++;
    listener.current?.stop();
    listener.current = null;
    player.current?.stop();
    player.current = null;
  };
  useEffect(() => stopAll, []);
  if (!supported) return null;

  /** One utterance as one voice turn, after the ones before it. */
  const send = (wav: Blob) => {
    const mine = generation.current;
    queue.current = queue.current.then(async () => {
      if (mine !== generation.current && !listener.current) return;
      say('Sending…');
      let id: string | undefined;
      const turn = ++generation.current; // audio of an earlier turn, still arriving, is no longer played
      try {
        id = await props.conversation();
        player.current ??= createPlayer();
        for await (const event of voiceTurn(id, wav, new AbortController().signal)) {
          if (turn !== generation.current) continue; // barged in: the rest of this reply is not played
          if (event.type === 'transcript') say(`You said: “${event.text}”. ${props.familiarName} is answering…`);
          else if (event.type === 'audio') {
            player.current?.play(event.data);
            setPlayed((n) => n + 1);
          } else if (event.type === 'speech_error') say(`${props.familiarName} answered in text only: ${event.message}`, true);
          else if (event.type === 'error') say(event.message, true);
          else if (event.type === 'done') say(`You said: “${event.transcript}”`);
        }
        setTurns((n) => n + 1);
      } catch (err) {
        say(messageOf(err), true);
      } finally {
        if (id) props.onTurnEnd(id);
      }
    });
  };

  const toggle = async () => {
    if (on || starting) {
      stopAll();
      setOn(false);
      setStarting(false);
      return say('Hands-free is off.');
    }
    setStarting(true);
    say('Starting the microphone…');
    player.current = createPlayer(); // made during the click, so it may play
    try {
      listener.current = await listen({
        onSpeechStart: () => {
          // Barge-in: whatever still plays stops at once.
          if (player.current?.playing()) {
            setBargeIns((n) => n + 1);
            player.current.stop();
            player.current = createPlayer();
            generation.current++;
          }
          say('Listening…');
        },
        onUtterance: send,
        onError: (message) => say(message, true),
      });
      setOn(true);
      say(`Hands-free: speak, and ${props.familiarName} answers.`);
    } catch (err) {
      stopAll();
      const name = (err as { name?: string }).name;
      say(
        name === 'NotAllowedError' || name === 'SecurityError'
          ? 'The microphone is blocked: allow it for this site in the browser, then try again.'
          : `Hands-free could not start: ${messageOf(err)}`,
        true,
      );
    } finally {
      setStarting(false);
    }
  };

  return (
    <>
      <button
        type="button"
        class={on ? 'voice hands-free recording' : 'voice hands-free secondary'}
        aria-pressed={on ? 'true' : 'false'}
        aria-label="Hands-free"
        title={on ? 'Hands-free is on: click to stop' : 'Hands-free: talk without holding a button'}
        disabled={props.disabled || starting}
        onClick={() => void toggle()}
      >
        <svg class="voice-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
          <path d="M12 3a9 9 0 0 0-9 9v5a3 3 0 0 0 3 3h2v-7H5v-1a7 7 0 0 1 14 0v1h-3v7h2a3 3 0 0 0 3-3v-5a9 9 0 0 0-9-9z" />
        </svg>
      </button>
      <p
        class={failed ? 'hands-free-status error' : 'hands-free-status'}
        role="status"
        data-turns={String(turns)}
        data-played={String(played)}
        data-barge-ins={String(bargeIns)}
      >
        {status}
      </p>
    </>
  );
}
