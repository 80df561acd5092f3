/** What an SSH client can ask for, as the command classes rules name (`request:`). */
export const SSH_REQUEST_CLASSES: Readonly<Record<string, string>> = {
  exec: 'a command run without a terminal session (`ssh host CMD`)',
  shell: 'an interactive login shell (`ssh host`)',
  sftp: 'the SFTP subsystem (sftp, and scp in its default SFTP mode): file transfer, either direction',
  scp_upload: 'legacy scp (`scp -O`) writing files to the target (`scp -t PATH`)',
  scp_download: 'legacy scp (`scp -O`) reading files from the target (`scp -f PATH`)',
  subsystem: 'a subsystem other than SFTP',
  port_forward: 'a TCP connection from the target to another host (`ssh -L`, `-D`, `-W`)',
  remote_forward: 'a listening port on the target forwarded back (`ssh -R`)',
  agent_forward: "access to the client's SSH agent from the target (`ssh -A`)",
  x11_forward: 'X11 forwarding (`ssh -X`)',
};
