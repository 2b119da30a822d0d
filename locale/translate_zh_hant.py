"""Traditional Chinese for every msgid of the portal.

Run after `manage.py makemessages -l zh_Hant` (needs GNU gettext); it fills
locale/zh_Hant/LC_MESSAGES/django.po, then `manage.py compilemessages`
writes the .mo that is committed. Requires polib (`pip install polib`).
A msgid missing here is reported, so no string ships untranslated.
"""

import sys
from pathlib import Path

import polib

BYPASS = "略過碼"
CARD = "CU Link 卡"
RESCUE = "救援碼"

ZH = {
    "Bypass codes": "略過碼",
    "CU Link Serial Number": "CU Link 序號",
    "Printed on the front or at the back of your CU Link card.": "印在 CU Link 卡的正面或背面。",
    "Enter the serial number of your CU Link card.": "請輸入 CU Link 卡的序號。",
    "That is too long for a CU Link serial number.": "CU Link 序號過長。",
    "CU Link card": CARD,
    "rescue code": RESCUE,
    "helpdesk": "服務台",
    "person": "用戶",
    "issued via": "發出方式",
    "issued by": "發出者",
    "issued at": "發出時間",
    "expires at": "失效時間",
    "uses allowed": "可用次數",
    "uses": "已用次數",
    "last used at": "最後使用時間",
    "revoked at": "撤銷時間",
    "revoked by": "撤銷者",
    "reason for revoking": "撤銷原因",
    "bypass code": BYPASS,
    "bypass codes": BYPASS,
    "superseded": "已被取代",
    "revoked": "已撤銷",
    "expired": "已過期",
    "used up": "已用完",
    "live": "有效",
    "Your card check has expired or was used. Check your card again.": "卡片驗證已過期或已使用，請再驗證一次。",
    "Personal info": "個人資料",
    "Permissions": "權限",
    "Important dates": "重要日期",
    "Unlock the selected proofs": "解鎖所選的驗證",
    "%(count)d unlocked.": "已解鎖 %(count)d 項。",
    "DUO Self-Service Portal: helpdesk": "DUO 自助服務平台：服務台",
    "DUO Self-Service Portal": "DUO 自助服務平台",
    "People and cards": "用戶及卡片",
    "Passcode": "通行碼",
    "6 digits from your authenticator app, or your 9-digit bypass code.": "驗證器應用程式上的 6 位數字，或 9 位數字的略過碼。",
    "Enter the passcode.": "請輸入通行碼。",
    "That is too long for a passcode.": "通行碼過長。",
    "Name of this authenticator": "此驗證器的名稱",
    "My phone": "我的手機",
    'So you can tell your devices apart, e.g. "Work phone".': "方便分辨不同裝置，例如「公司手機」。",
    "Give the authenticator a name.": "請為驗證器命名。",
    "Code shown in the app": "應用程式顯示的代碼",
    "Enter the 6-digit code the app shows.": "請輸入應用程式顯示的 6 位數字代碼。",
    "username": "用戶名稱",
    "The person's Microsoft 365 user principal name, e.g. alice@example.edu.": "此用戶的 Microsoft 365 用戶主體名稱，例如 alice@example.edu。",
    "A person with that username already exists.": "已有用戶使用此用戶名稱。",
    "display name": "顯示名稱",
    "bypass code issued": "已發出略過碼",
    "bypass code used": "已使用略過碼",
    "bypass code revoked": "已撤銷略過碼",
    "rescue codes generated": "已產生救援碼",
    "rescue code used": "已使用救援碼",
    "card checked": "已驗證卡片",
    "card imported": "已匯入卡片",
    "proof locked": "驗證已鎖定",
    "proof unlocked": "驗證已解鎖",
    "signed in": "已登入",
    "signed out": "已登出",
    "authenticator code used": "已使用驗證器代碼",
    "authenticator added": "已新增驗證器",
    "authenticator removed": "已移除驗證器",
    "changed in admin": "於管理介面更改",
    "at": "時間",
    "action": "動作",
    "outcome": "結果",
    "subject": "對象",
    "subject username": "對象用戶名稱",
    "actor": "執行者",
    "actor username": "執行者用戶名稱",
    "IP address": "IP 位址",
    "user agent": "瀏覽器",
    "detail": "詳情",
    "audit event": "稽核事件",
    "audit events": "稽核事件",
    "passcode": "通行碼",
    "CU Link card serial": "CU Link 卡序號",
    "kind": "類別",
    "consecutive failures": "連續失敗次數",
    "locked until": "鎖定至",
    "proof lock": "驗證鎖定",
    "proof locks": "驗證鎖定",
    "active": "有效",
    "lost": "已報失",
    "holder": "持有人",
    "serial number": "序號",
    "status": "狀態",
    "expires on": "到期日",
    "Last day the card is valid.": "卡片有效的最後一天。",
    "created at": "建立時間",
    "updated at": "更新時間",
    "CU Link cards": CARD,
    "Enter 4 to 32 letters and digits.": "請輸入 4 至 32 個英文字母及數字。",
    "name": "名稱",
    "confirmed": "已確認",
    "added at": "新增時間",
    "authenticator": "驗證器",
    "authenticators": "驗證器",
    "A bypass code was generated for you": "已為你產生略過碼",
    "New rescue codes were generated for you": "已為你產生新的救援碼",
    "Your account is locked for a while": "你的帳戶暫時被鎖定",
    "An authenticator app was added to your account": "你的帳戶新增了驗證器應用程式",
    "An authenticator app was removed from your account": "你的帳戶移除了驗證器應用程式",
    "Too many wrong passcodes. Try again after %(time)s.": "通行碼錯誤次數過多，請於 %(time)s 後再試。",
    "That bypass code has expired. Generate a new one.": "此略過碼已過期，請產生新的略過碼。",
    "That bypass code has been used up. Generate a new one.": "此略過碼已用完，請產生新的略過碼。",
    "That bypass code was revoked. Generate a new one.": "此略過碼已被撤銷，請產生新的略過碼。",
    "You have no live bypass code or authenticator app. Get a bypass code first.": "你沒有有效的略過碼或驗證器應用程式，請先取得略過碼。",
    "Too many wrong serial numbers. Try again after %(time)s.": "序號錯誤次數過多，請於 %(time)s 後再試。",
    "We have no valid CU Link card on record for you. Contact %(contact)s.": "我們沒有你有效的 CU Link 卡紀錄，請聯絡 %(contact)s。",
    "This CU Link card is reported lost or is no longer valid. Contact %(contact)s.": "此 CU Link 卡已報失或已失效，請聯絡 %(contact)s。",
    "This CU Link card has expired. Contact %(contact)s.": "此 CU Link 卡已過期，請聯絡 %(contact)s。",
    "Too many wrong rescue codes. Try again after %(time)s.": "救援碼錯誤次數過多，請於 %(time)s 後再試。",
    "That rescue code has already been used. Each rescue code works once.": "此救援碼已使用過。每個救援碼只可使用一次。",
    "That rescue code was replaced by a newer set. Use a code from your newest set.": "此救援碼已被新一組救援碼取代，請使用最新一組的救援碼。",
    "You have no unused rescue codes. Use your CU Link card instead, or contact %(contact)s.": "你沒有未使用的救援碼。請改用 CU Link 卡，或聯絡%(contact)s。",
    "That rescue code is not right. %(count)d try left.": "救援碼不正確。尚餘 %(count)d 次機會。",
    'Tick the box "I\'m not a robot".': "請勾選「我不是機器人」。",
    'The "I\'m not a robot" check failed or expired. Tick the box again.': "「我不是機器人」驗證失敗或已過期，請再勾選一次。",
    'The "I\'m not a robot" verification is unavailable just now. Please try again.': "「我不是機器人」驗證暫時無法使用，請稍後再試。",
    "I'm not a robot (local development check, not reCAPTCHA)": "我不是機器人（本機開發用檢查，並非 reCAPTCHA）",
    "I'm not a robot": "我不是機器人",
    "Your bypass code was revoked. It no longer works.": "你的略過碼已撤銷，不能再使用。",
    "You have no live bypass code.": "你沒有有效的略過碼。",
    "Your authenticator app is ready. Now generate rescue codes below, so you can still get a "
    "bypass code if you lose your phone.": "你的驗證器應用程式已設定好。請在下方產生救援碼，日後即使遺失手機，仍可取得略過碼。",
    "That code does not match. Check the app and try again.": "代碼不符，請檢查應用程式後再試。",
    "QR code": "QR 碼",
    "The authenticator app was removed.": "已移除驗證器應用程式。",
    "Rescue codes": RESCUE,
    "Rescue Code": RESCUE,
    "One of the codes you generated in advance, e.g. ABCD-EFGH-JKLM-NPQR.": "你預先產生的其中一個救援碼，例如 ABCD-EFGH-JKLM-NPQR。",
    "Enter one of your rescue codes.": "請輸入你的其中一個救援碼。",
    "That is too long for a rescue code.": "救援碼過長。",
    "generated at": "產生時間",
    "used at": "使用時間",
    "voided at": "作廢時間",
    "Replaced by a newer set.": "已被新一組取代。",
    "rescue codes": RESCUE,
    "used": "已使用",
    "voided": "已作廢",
    "unused": "未使用",
    "Account disabled": "帳戶已停用",
    "Your account on this portal is disabled.": "你在本平台的帳戶已停用。",
    "Sign in": "登入",
    "Sign in with your O365 account to start.": "請先以 O365 帳戶登入。",
    "Sign-in refused": "無法登入",
    "This portal is only for accounts of the university.": "本平台只供大學帳戶使用。",
    "Another Microsoft 365 account is already linked to this person on the portal, so you cannot "
    "be signed in. Nothing was changed.": "本平台上此用戶已連結另一個 Microsoft 365 帳戶，因此無法登入。沒有任何資料被更改。",
    "Microsoft 365 did not tell us who you are, so you cannot be signed in.": "Microsoft 365 沒有提供你的身分資料，因此無法登入。",
    "Your account could not be set up on this portal. Nothing was changed.": "無法在本平台建立你的帳戶。沒有任何資料被更改。",
    "Skip to content": "跳至內容",
    "Verify with your CU Link Card": "以 CU Link 卡驗證",
    "A CU Link card, front and back. The serial number is printed in the marked box: on the "
    "front under the photo, or at the back under the magnetic stripe.": "CU Link 卡的正面及背面。序號印在標示的方框內：正面在相片下方，背面在磁帶下方。",
    "Where to find the serial number": "序號的位置",
    "VERIFY": "驗證",
    "Back": "返回",
    "Generate Bypass Code with CU Link Card": "以 CU Link 卡產生略過碼",
    "Prerequisites:": "事前準備：",
    "You need to have your CU Link Card ready.": "請準備好你的 CU Link 卡。",
    "Enter the CU Link Serial Number, which can be found on the front or at the back of your "
    "CU Link card.": "輸入 CU Link 序號，序號印在 CU Link 卡的正面或背面。",
    'Tick the checkbox before "I\'m not a robot" and follow the on-screen instructions.': "勾選「我不是機器人」前的方格，並按畫面指示完成驗證。",
    "Once the verification is passed, click GET BYPASS CODE.": "驗證通過後，按「取得略過碼」。",
    "START": "開始",
    "Verification passed": "驗證通過",
    "Your CU Link card is verified. Click GET BYPASS CODE within %(minutes)s minute.": "你的 CU Link 卡已通過驗證，請於 %(minutes)s 分鐘內按「取得略過碼」。",
    "GET BYPASS CODE": "取得略過碼",
    "The Bypass Code is generated.": "略過碼已產生。",
    "Bypass code: %(code)s": "略過碼：%(code)s",
    "Copied.": "已複製。",
    "Copy": "複製",
    "Valid until": "有效至",
    "Uses left": "尚餘次數",
    "Unused rescue codes": "未使用的救援碼",
    "How to use it": "使用方法",
    "Sign in to the application protected by DUO.": "登入受 DUO 保護的應用程式。",
    "When asked for the 2nd factor, click Enter a Passcode.": "被要求提供第二重驗證時，按「輸入通行碼」。",
    "Type this bypass code, then click Log In.": "輸入此略過碼，然後按「登入」。",
    "Write it down now: it will not be shown again. Generating another bypass code replaces this "
    "one.": "請立即記下：此略過碼不會再次顯示。產生新的略過碼會取代這一個。",
    "Done": "完成",
    "BYPASS CODE": "略過碼",
    "DUO Bypass Code": "DUO 略過碼",
    "If you have problems with your mobile phone (forgot to bring it, it is broken, lost or "
    "stolen) and cannot give the 2nd factor to applications protected by DUO two-factor "
    "authentication, you can generate a temporary bypass code by yourself and use it instead.": "如你的手機出現問題（忘記攜帶、損壞、遺失或被盜），未能向受 DUO 雙重認證保護的應用程式"
    "提供第二重驗證，你可自行產生臨時略過碼代替。",
    "The Bypass Code can only be used for %(max_uses)s times within %(hours)s hours.": "略過碼只可在 %(hours)s 小時內使用 %(max_uses)s 次。",
    "Once the bypass code is expired, you need to generate another new bypass code.": "略過碼過期後，你需要再產生新的略過碼。",
    "Prerequisites": "事前準備",
    "You need to have either of these on hand for identity verification:": "你需要手上有以下其中一項作身分驗證：",
    "your CU Link Card, or": "你的 CU Link 卡，或",
    "a pre-generated Rescue Code.": "預先產生的救援碼。",
    "I HAVE A VALID CU LINK CARD ON HAND": "我手上有有效的 CU Link 卡",
    "I HAVE A RESCUE CODE ON HAND": "我手上有救援碼",
    "Neither on hand?": "兩樣都沒有？",
    "My account": "我的帳戶",
    "Bypass code": BYPASS,
    "Revoke it": "撤銷",
    "With a rescue code you can get a bypass code when you have neither your phone nor your CU "
    "Link card.": "當你手機和 CU Link 卡都不在身邊時，可用救援碼取得略過碼。",
    "Generate a new set soon.": "請盡快產生一組新的救援碼。",
    "You have no rescue codes yet.": "你還沒有救援碼。",
    "Generate new rescue codes": "產生新的救援碼",
    "Your earlier rescue codes will stop working.": "你之前的救援碼將會失效。",
    "Authenticator apps": "驗證器應用程式",
    "added %(added)s": "於 %(added)s 新增",
    "Remove %(name)s": "移除 %(name)s",
    "Remove": "移除",
    "You have no authenticator app yet.": "你還沒有驗證器應用程式。",
    "Add an authenticator app": "新增驗證器應用程式",
    "Open your authenticator app (Duo Mobile, Microsoft Authenticator or another) and add an "
    "account.": "開啟你的驗證器應用程式（Duo Mobile、Microsoft Authenticator 或其他），新增帳戶。",
    "Scan this QR code, or type the key below.": "掃描此 QR 碼，或輸入下面的金鑰。",
    "Key:": "金鑰：",
    "Confirm": "確認",
    "Hello, %(name)s": "你好，%(name)s",
    "Lost, forgotten or broken your phone? Get a temporary bypass code to sign in to "
    "applications protected by DUO two-factor authentication.": "手機遺失、忘記攜帶或損壞？取得臨時略過碼，登入受 DUO 雙重認證保護的應用程式。",
    "My account (rescue codes, authenticator apps) needs a passcode from your authenticator app "
    "or a bypass code.": "「我的帳戶」（救援碼、驗證器應用程式）需要驗證器應用程式的通行碼或略過碼。",
    "Lost, forgotten or broken your phone? Here you can get a temporary bypass code to sign in "
    "to applications protected by DUO two-factor authentication.": "手機遺失、忘記攜帶或損壞？你可在這裏取得臨時略過碼，登入受 DUO 雙重認證保護的應用程式。",
    "Helpdesk administration": "服務台管理",
    "Choose an authentication method": "選擇驗證方式",
    "A code from your authenticator app, or a bypass code.": "驗證器應用程式的代碼，或略過碼。",
    "Enter a Passcode": "輸入通行碼",
    "No phone with you?": "手機不在身邊？",
    "Get a bypass code with your CU Link card or a rescue code.": "以 CU Link 卡或救援碼取得略過碼。",
    "Log In": "登入",
    "Choose another method": "選擇其他方式",
    "Hello %(name)s,": "%(name)s 你好：",
    "A DUO bypass code was generated for you on the DUO Self-Service Portal. It can be used "
    "%(uses)s times until %(expires)s. Any earlier bypass code no longer works.": "DUO 自助服務平台已為你產生 DUO 略過碼，可於 %(expires)s 前使用 %(uses)s 次。"
    "之前的略過碼已失效。",
    "If this was not you, contact the helpdesk at once.": "如這並非你本人的操作，請立即聯絡服務台。",
    'The authenticator app "%(device)s" was added to your account on the DUO Self-Service '
    "Portal.": "DUO 自助服務平台上你的帳戶新增了驗證器應用程式「%(device)s」。",
    'The authenticator app "%(device)s" was removed from your account on the DUO Self-Service '
    "Portal.": "DUO 自助服務平台上你的帳戶移除了驗證器應用程式「%(device)s」。",
    "After too many wrong tries, checks of your %(proof)s on the DUO Self-Service Portal are "
    "locked until %(until)s.": "由於錯誤次數過多，DUO 自助服務平台上你的%(proof)s驗證已鎖定至 %(until)s。",
    "Development mode": "開發模式",
    "Demo people, local sign-in and a local robot check. Not for real use.": "示範用戶、本機登入及本機機器人檢查，不可作正式用途。",
    "Need help? Contact %(contact)s.": "需要協助？請聯絡 %(contact)s。",
    "Language:": "語言：",
    "Click VERIFY.": "按「驗證」。",
    "Got a new phone?": "有新手機？",
    "Your card check also lets you add an authenticator app now, so next time you can sign in "
    "with a code from your phone.":
        "卡片驗證通過後，你亦可立即新增驗證器應用程式，下次便可用手機上的代碼登入。",
    "Not allowed": "不允許存取",
    "You cannot open this page. If you think you should, sign out, sign in again and retry.":
        "你無法開啟此頁面。如你認為應該可以開啟，請登出後再登入重試。",
    "Home": "主頁",
    "Page not found": "找不到頁面",
    "There is no page at this address.": "此網址沒有頁面。",
    "Something went wrong": "發生錯誤",
    "The portal could not finish this. Nothing was changed. Please try again in a moment.":
        "平台未能完成此操作，沒有任何資料被更改。請稍後再試。",
    "If this was not you, contact the helpdesk at once: %(contact)s.":
        "如這並非你本人的操作，請立即聯絡服務台：%(contact)s。",
    "After too many wrong CU Link serial numbers, card checks for your account on the DUO "
    "Self-Service Portal are locked until %(until)s.":
        "由於 CU Link 序號錯誤次數過多，你在 DUO 自助服務平台的卡片驗證已鎖定至 %(until)s。",
    "After too many wrong rescue codes, rescue codes for your account on the DUO Self-Service "
    "Portal are locked until %(until)s.":
        "由於救援碼錯誤次數過多，你在 DUO 自助服務平台的救援碼已鎖定至 %(until)s。",
    "After too many wrong passcodes, passcodes for your account on the DUO Self-Service Portal "
    "are locked until %(until)s.":
        "由於通行碼錯誤次數過多，你在 DUO 自助服務平台的通行碼已鎖定至 %(until)s。",
    "Sign in with Microsoft 365 (O365)": "以 Microsoft 365 (O365) 登入",
    "Sign out": "登出",
    "Your rescue codes": "你的救援碼",
    "Keep these codes somewhere safe, away from your phone: print them, download them or copy "
    "them now. They will not be shown again. Each code works once to get a bypass code.": "請將這些代碼存放在安全的地方，不要與手機放在一起：立即列印、下載或複製。"
    "這些代碼不會再次顯示。每個代碼可使用一次以取得略過碼。",
    "Print": "列印",
    "DUO Self-Service Portal rescue codes": "DUO 自助服務平台救援碼",
    "Download": "下載",
    "Back to My account": "返回我的帳戶",
    "Generate Bypass Code with Rescue Code": "以救援碼產生略過碼",
    "You need to have your pre-generated Rescue Code ready.": "請準備好你預先產生的救援碼。",
    "Enter a valid Rescue Code which you generated in advance.": "輸入你預先產生的有效救援碼。",
    "Click SUBMIT.": "按「提交」。",
    "Each rescue code works once.": "每個救援碼只可使用一次。",
    "Enter a Rescue Code": "輸入救援碼",
    "SUBMIT": "提交",
    "Sign-in did not work": "登入未能完成",
    "Microsoft 365 sign-in could not be completed: the page may have been open too long, been "
    "reloaded, or the sign-in was refused. Nothing was changed. Please try again.": "未能完成 Microsoft 365 登入：頁面可能開啟太久、被重新載入，或登入被拒絕。"
    "沒有任何資料被更改，請再試一次。",
    "You will be taken to Microsoft 365 to sign in.": "你將會前往 Microsoft 365 登入。",
    "Sign-in cancelled": "已取消登入",
    "You cancelled the sign-in. Nothing was changed.": "你已取消登入，沒有任何資料被更改。",
}

# Plurals: Chinese has one form.
ZH_PLURAL = {
    "Wrong passcode. %(count)d try left.": "通行碼錯誤。尚餘 %(count)d 次機會。",
    "That serial number does not match your CU Link card. %(count)d try left.": "序號與你的 CU Link 卡不符。尚餘 %(count)d 次機會。",
    "That rescue code is not right. %(count)d try left.": "救援碼不正確。尚餘 %(count)d 次機會。",
    "Your bypass code can be used %(uses)s more time, until %(expires)s.": "你的略過碼尚可使用 %(uses)s 次，有效至 %(expires)s。",
    "You have %(count)s unused rescue code.": "你有 %(count)s 個未使用的救援碼。",
    "A new set of %(count)s rescue code was generated for you on the DUO Self-Service Portal. "
    "Your earlier rescue codes no longer work.": "DUO 自助服務平台已為你產生一組共 %(count)s 個新的救援碼，之前的救援碼已失效。",
    "Your CU Link card is verified. Click GET BYPASS CODE within %(minutes)s minute.": "你的 CU Link 卡已通過驗證，請於 %(minutes)s 分鐘內按「取得略過碼」。",
}


def main():
    path = Path(__file__).resolve().parent / "zh_Hant" / "LC_MESSAGES" / "django.po"
    po = polib.pofile(str(path))
    po.metadata["Language"] = "zh_Hant"
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    po.metadata_is_fuzzy = False
    missing = []
    for entry in po:
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            text = ZH_PLURAL.get(entry.msgid)
            if text is None:
                missing.append(entry.msgid)
                continue
            entry.msgstr_plural = {0: text}
        else:
            text = ZH.get(entry.msgid)
            if text is None:
                missing.append(entry.msgid)
                continue
            entry.msgstr = text
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
    po.save()
    for msgid in missing:
        print("untranslated:", repr(msgid), file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
