import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { messageOf } from '../api.js';
import { createPlayer, record, toUpload, voiceTurn, type Recorder } from '../voice/voice.js';
import './voice-button.css';

type Phase = 'idle' | 'starting' | 'recording' | 'sending';

/**
 * Push-to-talk in the chat composer (CH-5): hold the button (or Space/Enter on it) and speak; on
 * release the recording goes to the voice API, and the reply's sentences play as they arrive. The
 * browser asks for the microphone on the first press, on this page only (Permissions-Policy
 * `microphone=(self)`). Pressing again stops a reply that is still playing.
 */
export function VoiceButton(props: {
  disabled: boolean;
  familiarName: string;
  /** The open conversation's id, or a new one's. */
  conversation: () => Promise<string>;
  /** The turn is stored: the thread reloads it. */
  onTurnEnd: (conversationId: string) => void;
}): JSX.Element | null {
  const [phase, setPhase] = useState<Phase>('idle');
  const [status, setStatus] = useState('');
  const [failed, setFailed] = useState(false);
  const [played, setPlayed] = useState(0);
  const recorder = useRef<Recorder | null>(null);
  const held = useRef(false);
  const player = useRef<ReturnType<typeof createPlayer> | null>(null);
  const abort = useRef<AbortController | null>(null);
  const supported = typeof navigator !== 'undefined' && !!navigator.mediaDevices?.getUserMedia && typeof MediaRecorder !== 'undefined';

  useEffect(
    () => () => {
      recorder.current?.cancel();
      abort.current?.abort();
      player.current?.stop();
    },
    [],
  );
  if (!supported) return null;

  const say = (text: string, error = false) => {
    setStatus(text);
    setFailed(error);
  };

  const press = async () => {
    if (props.disabled || phase !== 'idle' || held.current) return;
    held.current = true;
    // A new press is a barge-in: whatever still plays stops. The player is made during the gesture, so it may play.
    player.current?.stop();
    player.current = createPlayer();
    setPhase('starting');
    try {
      const r = await record();
      if (!held.current) {
        // Released while the browser asked for the microphone: nothing was said yet.
        r.cancel();
        setPhase('idle');
        return say('Microphone ready: hold the button while you speak.');
      }
      recorder.current = r;
      setPhase('recording');
      say('Listening… release to send.');
    } catch (err) {
      held.current = false;
      setPhase('idle');
      const name = (err as { name?: string }).name;
      say(
        name === 'NotAllowedError' || name === 'SecurityError'
          ? 'The microphone is blocked: allow it for this site in the browser, then try again.'
          : 'No microphone could be opened.',
        true,
      );
    }
  };

  const release = async () => {
    if (!held.current) return;
    held.current = false;
    const r = recorder.current;
    if (!r) return; // still starting: press() sees the release
    recorder.current = null;
    setPhase('sending');
    say('Sending…');
    const controller = new AbortController();
    abort.current = controller;
    let id: string | undefined;
    try {
      const audio = await toUpload(await r.stop());
      id = await props.conversation();
      let reply = '';
      let count = 0;
      for await (const event of voiceTurn(id, audio, controller.signal)) {
        if (event.type === 'transcript') say(`You said: “${event.text}”. ${props.familiarName} is answering…`);
        else if (event.type === 'delta') reply += event.text;
        else if (event.type === 'audio') {
          player.current?.play(event.data);
          setPlayed(++count);
        } else if (event.type === 'speech_error') say(`${props.familiarName} answered in text only: ${event.message}`, true);
        else if (event.type === 'error') say(event.message, true);
        else if (event.type === 'done') say(`You said: “${event.transcript}”`);
      }
      if (!reply && count === 0) say('No answer came back.', true);
    } catch (err) {
      if (!controller.signal.aborted) say(messageOf(err), true);
    } finally {
      abort.current = null;
      setPhase('idle');
      if (id) props.onTurnEnd(id);
    }
  };

  const label =
    phase === 'recording'
      ? 'Release to send'
      : phase === 'sending'
        ? 'Sending'
        : phase === 'starting'
          ? 'Opening the microphone'
          : 'Hold to talk';
  return (
    <>
      <button
        type="button"
        class={phase === 'recording' ? 'voice recording' : 'voice secondary'}
        aria-label={label}
        title={label}
        aria-pressed={phase === 'recording' ? 'true' : 'false'}
        disabled={props.disabled || phase === 'sending'}
        onPointerDown={(e) => {
          if (e.button !== 0) return;
          e.preventDefault();
          try {
            (e.currentTarget as HTMLButtonElement).setPointerCapture(e.pointerId); // the release comes here even off the button
          } catch {
            // not a live pointer (a synthetic event)
          }
          void press();
        }}
        onPointerUp={() => void release()}
        onPointerCancel={() => void release()}
        onKeyDown={(e) => {
          if ((e.key === ' ' || e.key === 'Enter') && !e.repeat) {
            e.preventDefault();
            void press();
          }
        }}
        onKeyUp={(e) => {
          if (e.key === ' ' || e.key === 'Enter') {
            e.preventDefault();
            void release();
          }
        }}
        onClick={(e) => e.preventDefault()}
      >
        <svg class="voice-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
          <path d="M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.92V21h2v-3.08A7 7 0 0 0 19 11h-2z" />
        </svg>
      </button>
      {/* Always there (hidden while empty), so screen readers announce what it comes to say. */}
      <p class={failed ? 'voice-status error' : 'voice-status'} role="status" data-played={String(played)}>
        {status}
      </p>
    </>
  );
}
