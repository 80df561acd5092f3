import 'asciinema-player/dist/bundle/asciinema-player.css';
import * as AsciinemaPlayer from 'asciinema-player';
import { useEffect, useRef, useState } from 'react';

/** A recorded terminal session (asciicast v2) in asciinema-player; loaded only when needed. */
export default function TerminalReplay({ url }: { url: string }) {
  const host = useRef<HTMLDivElement>(null);
  const [missing, setMissing] = useState(false);

  useEffect(() => {
    let player: { dispose(): void } | undefined;
    let cancelled = false;
    fetch(url, { credentials: 'same-origin' }).then(
      async (response) => {
        if (cancelled) return;
        if (!response.ok) return setMissing(true);
        const data = await response.text();
        if (cancelled || !host.current) return;
        player = AsciinemaPlayer.create({ data }, host.current, {
          fit: 'width',
          idleTimeLimit: 2,
          terminalFontSize: '13px',
        });
      },
      () => setMissing(true),
    );
    return () => {
      cancelled = true;
      player?.dispose();
    };
  }, [url]);

  if (missing) return <p className="empty">No terminal recording for this session.</p>;
  return <div ref={host} className="player" />;
}
