/** The demo call's content: a customer-support conversation on a virtual timeline (seconds from call start). */

export interface DemoTurn {
  user: string;
  assistant: string;
  /** Seconds of user speech, then of assistant speech. */
  userSeconds: number;
  assistantSeconds: number;
  /** The user barges in after this many seconds of the assistant's speech. */
  interruptedAfter?: number;
  tool?: { name: string; arguments: Record<string, unknown>; result: unknown };
}

export const DEMO_TURNS: DemoTurn[] = [
  {
    user: "Hi, I'm calling about an order that hasn't arrived yet.",
    assistant: "Hello! I'm sorry to hear that. I can help you track it. Could you tell me your order number?",
    userSeconds: 3.2,
    assistantSeconds: 5.4,
  },
  {
    user: "Sure, it's A B 4 7 1 9.",
    assistant:
      "Thanks. Let me look that up. Your order AB4719 shipped on Monday with Parcelway and is currently at the regional depot in Leeds.",
    userSeconds: 2.6,
    assistantSeconds: 7.6,
    tool: {
      name: "lookup_order",
      arguments: { orderId: "AB4719" },
      result: { status: "in_transit", carrier: "Parcelway", depot: "Leeds", eta: "2026-11-27" },
    },
  },
  {
    user: "The depot? It was supposed to be here yesterday.",
    assistant:
      "I understand the frustration. The carrier's latest estimate is Thursday the twenty-seventh, and I can see that",
    userSeconds: 3.0,
    assistantSeconds: 7.0,
    interruptedAfter: 4.1,
  },
  {
    user: "Sorry - can you just send it express instead?",
    assistant:
      "No problem. I can upgrade the remaining leg to express delivery at no charge. Would you like me to do that?",
    userSeconds: 2.9,
    assistantSeconds: 6.2,
  },
  {
    user: "Yes please, do that.",
    assistant:
      "Done. The upgrade is confirmed, and you should receive it tomorrow before noon. You'll get a text with the new tracking link.",
    userSeconds: 1.8,
    assistantSeconds: 7.2,
    tool: {
      name: "upgrade_shipping",
      arguments: { orderId: "AB4719", service: "express" },
      result: { ok: true, newEta: "2026-11-26T12:00:00Z", trackingUrl: "https://track.example/AB4719" },
    },
  },
  {
    user: "Great. And can I change the delivery address to my office?",
    assistant:
      "I'm afraid the address can't be changed once the parcel is with the carrier, but the driver can leave it with a neighbour if you're out.",
    userSeconds: 3.6,
    assistantSeconds: 7.8,
  },
  {
    user: "Okay, that's fine. Thanks for your help.",
    assistant: "You're welcome! Is there anything else I can help you with today?",
    userSeconds: 2.4,
    assistantSeconds: 4.0,
  },
  {
    user: "No, that's everything. Bye.",
    assistant: "Thanks for calling, and have a great day. Goodbye!",
    userSeconds: 1.9,
    assistantSeconds: 3.2,
  },
];

/** Gap between one side's speech and the other's, in seconds (user -> bot latency, bot -> user pause). */
export const BOT_LATENCY_SECONDS = [0.9, 1.4, 0.8, 1.0, 1.6, 0.9, 0.8, 0.7];
export const USER_PAUSE_SECONDS = 1.2;
export const LEAD_IN_SECONDS = 1.5;
export const TAIL_SECONDS = 1.0;
/** The interrupting user starts this long before the assistant falls silent. */
export const BARGE_IN_OVERLAP_SECONDS = 0.3;

export interface TimedTurn extends DemoTurn {
  index: number;
  userStart: number;
  userEnd: number;
  assistantStart: number;
  /** Where the assistant actually stopped (cut short when interrupted). */
  assistantEnd: number;
  latency: number;
}

/** Lays the turns out on the timeline; returns them and the total call length in seconds. */
export function layoutTurns(turns: DemoTurn[] = DEMO_TURNS): { turns: TimedTurn[]; totalSeconds: number } {
  let t = LEAD_IN_SECONDS;
  const out: TimedTurn[] = [];
  turns.forEach((turn, index) => {
    const userStart = t;
    const userEnd = userStart + turn.userSeconds;
    const latency = BOT_LATENCY_SECONDS[index % BOT_LATENCY_SECONDS.length]!;
    const assistantStart = userEnd + latency;
    const assistantEnd = assistantStart + (turn.interruptedAfter ?? turn.assistantSeconds);
    out.push({ ...turn, index, userStart, userEnd, assistantStart, assistantEnd, latency });
    // After an interruption the user is already talking: the next turn overlaps the cut-off reply.
    t =
      turn.interruptedAfter !== undefined ? assistantEnd - BARGE_IN_OVERLAP_SECONDS : assistantEnd + USER_PAUSE_SECONDS;
  });
  return { turns: out, totalSeconds: t + TAIL_SECONDS };
}
