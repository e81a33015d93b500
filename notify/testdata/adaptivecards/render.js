// render.js renders Teams webhook messages with Microsoft's Adaptive Cards
// library, the way a client that uses markdown-it for card text does, for
// notify's TestTeamsCardsRender. Input (stdin): a JSON array of messages as
// the teams format sends them. Output (stdout): a JSON array with, for each,
// the links of the rendered card ({href, text}) and the text of each
// TextBlock as a reader sees it.
//
// Install its packages with: npm ci --prefix notify/testdata/adaptivecards
"use strict";

const { JSDOM } = require("jsdom");
const dom = new JSDOM("<!doctype html><html><body></body></html>");
global.window = dom.window;
global.document = dom.window.document;
global.navigator = dom.window.navigator;
for (const name of Object.getOwnPropertyNames(dom.window)) {
  if (/^(HTML\w*Element|Node|Event|KeyboardEvent|MouseEvent)$/.test(name) && !(name in global)) {
    global[name] = dom.window[name];
  }
}

// lib/ holds ES modules that Node cannot load; dist/ is the bundle.
const AC = require("adaptivecards/dist/adaptivecards.js");
const markdown = require("markdown-it")();
AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
  result.outputHtml = markdown.render(text);
  result.didProcess = true;
};

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  const out = JSON.parse(input).map((msg) => {
    const card = new AC.AdaptiveCard();
    const ctx = new AC.SerializationContext();
    card.parse(msg.attachments[0].content, ctx);
    if (ctx.eventCount > 0) {
      const events = [];
      for (let i = 0; i < ctx.eventCount; i++) events.push(ctx.getEventAt(i).message);
      throw new Error("the card does not parse: " + events.join("; "));
    }
    const el = card.render();
    document.body.appendChild(el);
    const links = [...el.querySelectorAll("a")].map((a) => ({ href: a.getAttribute("href"), text: a.textContent }));
    const texts = [...el.querySelectorAll(".ac-textBlock")].map((t) => t.textContent.trim());
    el.remove();
    return { links, texts };
  });
  process.stdout.write(JSON.stringify(out) + "\n");
});
