import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../../config.js';

export interface OutgoingMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly replyTo: string;
  /** Files sent with the message (a report's CSV, a dashboard's PNG referenced inline by `cid`). */
  readonly attachments?: readonly MailAttachment[];
}

export interface MailAttachment {
  readonly filename: string;
  readonly content: Buffer | string;
  readonly contentType: string;
  readonly cid?: string;
}

export interface Mailer {
  /** False when no SMTP server is configured: messages are kept as NOT_SENT. */
  readonly configured: boolean;
  send(mail: OutgoingMail): Promise<void>;
}

const transports = new Map<string, Transporter>();

/** SMTP through nodemailer when SMTP_URL is set; otherwise a mailer that sends nothing. */
export function mailerFor(config: Pick<Config, 'smtpUrl' | 'mailFrom'>): Mailer {
  const url = config.smtpUrl;
  if (!url) return { configured: false, send: async () => undefined };
  let transport = transports.get(url);
  if (!transport) {
    transport = nodemailer.createTransport(url);
    transports.set(url, transport);
  }
  const sender = transport;
  return {
    configured: true,
    send: async (mail) => {
      await sender.sendMail({ from: config.mailFrom, ...mail, attachments: mail.attachments ? [...mail.attachments] : [] });
    },
  };
}
