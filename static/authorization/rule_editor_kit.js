/*
 * The rule editor's small shared helpers, loaded first of its scripts: the words, the numbers
 * and the elements every part of it writes. The parts share one object, `window.ruleEditor`,
 * with no build step; deferred scripts run in document order, so each finds what it needs.
 * The words come from the JavaScript catalog (`gettext`, loaded before it) in the reader's
 * language; numbers people read are written as that language writes them (12,5 % in Portuguese),
 * numbers put back in the form's fields stay plain (12.5).
 */
(function () {
    "use strict";

    // The catalog's functions; the words as written when the catalog could not be loaded.
    const gettext = window.gettext || ((text) => text);
    const interpolate = window.interpolate || ((text, names) => text.replace(/%\((\w+)\)s/g, (_, name) => String(names[name])));
    // `say(gettext("… %(name)s …"), { name })`: gettext() stays literal so that makemessages finds the words.
    const say = (text, names) => interpolate(text, names, true);

    const STEP = 0.5; // dragging snaps to half a percent
    const LABELS = {
        authorize: gettext("Authorize"),
        manual: gettext("Hold for approval"),
        deny: gettext("Deny"),
        gap: gettext("Not integrated (gap)"),
    };
    const SHORT_LABELS = {
        authorize: gettext("Authorize"),
        manual: gettext("Approval"),
        deny: gettext("Deny"),
        gap: gettext("Not integrated"),
    };
    const NUMBER = new Intl.NumberFormat(document.documentElement.lang || undefined, { maximumFractionDigits: 2 });

    function el(tag, attrs, text) {
        const node = document.createElement(tag);
        for (const [name, value] of Object.entries(attrs || {})) {
            node.setAttribute(name, value);
        }
        if (text !== undefined) {
            node.textContent = text;
        }
        return node;
    }

    function round2(number) {
        return Math.round(number * 100) / 100;
    }

    /* A number for a form's field: 12.5. */
    function fmt(number) {
        return String(round2(number));
    }

    /* A number for people: 12,5 in Portuguese. */
    function human(number) {
        return NUMBER.format(round2(number));
    }

    function percent(number) {
        return `${human(number)} %`;
    }

    function parseNumber(text) {
        const trimmed = String(text || "").trim().replace(",", ".");
        if (trimmed === "") {
            return null;
        }
        const number = Number(trimmed);
        return Number.isFinite(number) ? number : null;
    }

    function splitEmails(text) {
        return String(text || "").split(/[\s,;]+/).filter(Boolean);
    }

    window.ruleEditor = { gettext, say, STEP, LABELS, SHORT_LABELS, el, round2, fmt, human, percent, parseNumber, splitEmails };
})();
