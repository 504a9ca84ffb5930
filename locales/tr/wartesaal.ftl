# wartesaal Türkçe. Mesajlar ve değişkenleri locales/en/wartesaal.ftl ile aynıdır.

language-name = Türkçe
language-menu = Dil

## Bekleme sayfası

waiting-title = Sıradasınız
your-number = Sıradaki yeriniz
ahead = { $count ->
    [0] Sıradaki sizsiniz.
   *[other] Önünüzde { $count } kişi var.
}
estimate = Tahmini bekleme süresi: { $wait }.
keep-open = Lütfen bu sayfayı açık bırakın. Sayfayı yenilemenize gerek yok, kendiliğinden güncellenir.
your-turn = Sıranız geldiğinde otomatik olarak randevu sayfasına yönlendirilirsiniz. Sayfayı yenileseniz bile yeriniz korunur.
admitted = Sıranız geldi. Sayfa yükleniyor …
updated = Son güncelleme:
refreshes = Sayfayı yenilemenize gerek yok, kendiliğinden güncellenir.

## Kimse içeri alınmazken

paused-title = Girişe kısa bir ara verildi
paused-body = Sıradaki yeriniz korunuyor. Giriş yeniden başladığında otomatik olarak ilerlersiniz. Lütfen bu sayfayı açık bırakın.
held-title = Giriş kısa bir süre durdu
held-body = Yeriniz korunuyor ve kimse önünüze geçemez. Birazdan devam edecek; bu sayfa kendiliğinden kontrol ediyor. Lütfen açık bırakın.
closed-title = Şu anda boş randevu kalmadı
closed-body = Tüm randevular verildi. Şu anda beklemenin bir faydası yok. Yeni randevular açılırsa bu sayfada göreceksiniz.
sold-out-title = Tüm randevular doldu
sold-out-body = Şu anda boş randevu yok. Şu anda beklemenin bir faydası yok.
last-title = Son randevular şu anda alınıyor
last-body = Şu anda rezervasyon sayfasında olan kişiler son randevuları alıyor. Bir randevu boş kalırsa sıra sizde. Bunu birkaç dakika içinde bu sayfada öğreneceksiniz. Yeriniz korunuyor.

## Açılıştan önce

before-title = Randevu alımı henüz başlamadı
opens-on = Randevu alımı şu tarihte başlıyor: { $when }.
prequeue-invite = { $from } itibarıyla burada sıraya girebilirsiniz. Saat { $open } olana kadar burada olan herkes rastgele bir sırayla yer alır: Erken gelmenizin ya da { $open } saatinden hemen önce gelmenizin bir farkı yoktur.
prequeue-title = Ön sıradasınız
prequeue-body = Randevu alımı saat { $open } itibarıyla başlıyor. O zamana kadar burada olan herkes rastgele bir sırayla yer alır. Erken gelmek avantaj sağlamaz. Lütfen bu sayfayı açık bırakın: Saat { $open } olduğunda size yerinizi gösterecek.
prequeue-size = Şu an burada: { $count } kişi
opens-in = Açılışa kalan süre: { $wait }.

## Otomatik programlara karşı küçük bulmaca

pow-title = Lütfen biraz bekleyin
pow-working = Tarayıcınız, otomatik programları uzak tutan küçük bir bulmacayı çözüyor. Bu genellikle birkaç saniye sürer; ardından sıradaki yerinizi alırsınız. Lütfen bu sayfayı açık bırakın.
pow-needs-script = Bu sıra için JavaScript gerekli: Yoğunluk sürdükçe her yeni ziyaretçi tarayıcıda küçük bir bulmacayla kontrol edilir. Lütfen JavaScript'i açın ve sayfayı yeniden yükleyin.

## Yoğunluk ve sınır

busy-title = Randevu sitesi şu anda çok yoğun
busy-body = Yeriniz korunuyor. Birkaç saniye içinde otomatik olarak yeniden deneyeceğiz. Lütfen bu sayfayı kapatmayın.
limited-title = Çok fazla yeni sıra numarası
limited-body = Son bir dakikada internet bağlantınızdan çok sayıda yeni sıra numarası alındı. Lütfen biraz sabredin: Sayfa { $seconds } saniye sonra kendiliğinden yeniden deneyecek. Zaten sıra numarası olanlar yerlerini korur.

## Kalan randevular

sold-out-kept = Yeriniz yine de korunuyor: Randevular iade edilir ya da yenileri açılırsa sıra kaldığı yerden devam eder ve bu sayfa size gösterir.
supply-left = Hâlâ { $count } boş randevu var.
supply-about = Hâlâ yaklaşık { $count } boş randevu var.
chance-likely = Sıranız geldiğinde büyük olasılıkla hâlâ boş randevu olacak.
chance-uncertain = Sıranız geldiğinde boş randevu kalıp kalmayacağı henüz kesin değil.
chance-unlikely = Sıranız geldiğinde boş randevu kalması pek olası değil.
chance-unknown = Bekleyenlerin kaçının randevu alacağı henüz bilinmiyor. Şansınıza dair bir tahmin birkaç dakika içinde burada olacak.
unlikely-advice = Yine de beklemeye devam edebilirsiniz: Bir randevu iade edilirse öne geçersiniz. Yeriniz korunur.
next-release = Yeni randevuların açılması beklenen tarih: { $when }.
release-in = Yeni randevulara kalan süre: { $wait }.
release-due = Yeni randevular her an bekleniyor.

## Sözcüklerle bekleme süresi

wait-under-minute = bir dakikadan az
wait-about = yaklaşık { $duration }
wait-up-to = en fazla { $duration }
wait-minutes-range = yaklaşık { $low }–{ $high } dakika
wait-between = { $low } ile { $high } arası
duration-minutes = { $minutes } dakika
duration-hours = { $hours } saat
duration-hours-minutes = { $hours } { $minutes }

## Günler ve saatler

time-of-day = { $time }
weekday = { $day ->
    [1] Pazartesi
    [2] Salı
    [3] Çarşamba
    [4] Perşembe
    [5] Cuma
    [6] Cumartesi
   *[7] Pazar
}
month = { $month ->
    [1] Ocak
    [2] Şubat
    [3] Mart
    [4] Nisan
    [5] Mayıs
    [6] Haziran
    [7] Temmuz
    [8] Ağustos
    [9] Eylül
    [10] Ekim
    [11] Kasım
   *[12] Aralık
}
day-and-time = { $day } { $month } { $year } { $weekday }, saat { $time }

## Yer kodu

code-label = Yer kodunuz
code-explain = Bu kodu not edin: Bu kodla yerinizi başka bir tarayıcıda ya da başka bir cihazda da geri alabilirsiniz.
restore-title = Yerinizi geri alın
restore-intro = Bekleme sayfasının size gösterdiği yer kodunu girin. Sıradaki aynı yerinizi geri alırsınız, daha iyisini değil. Büyük ya da küçük harf, boşluk ve tire fark etmez.
restore-field = Yer kodu
restore-submit = Yerimi geri al
restore-malformed = Yer kodu rakam ve harflerden oluşan 16 karakterdir. Lütfen girdiğinizi kontrol edin.
restore-unknown = Bu yer kodunu tanımıyoruz. Lütfen her karakteri kontrol edin.
restore-lapsed = Bu yerin sırası gelmişti ve süresi doldu. Yeniden sıraya girebilirsiniz.
restore-limited = Bağlantınızdan az önce çok fazla deneme yapıldı. Lütfen bir dakika bekleyin.
restore-link = E-postanızdaki bağlantının süresi doldu ve yeriniz bu arada geçerliliğini yitirdi. Aynı e-postadaki yer kodu da onu geri getiremez. Sıraya yeniden girebilirsiniz.

## Davet

invite-title = Davet kodunuzu girin
invite-intro = Bu sıra yalnızca davet edilen kişiler içindir. Davet mektubunuzdaki kodu girin. Kodu daha önce girdiyseniz aynı yerinizi geri alırsınız. Büyük ya da küçük harf, boşluk ve tire fark etmez.
invite-field = Davet kodu
invite-submit = Sıraya devam et
invite-malformed = Davet kodu rakam ve harflerden oluşan 18 karakterdir. Lütfen girdiğinizi kontrol edin.
invite-unknown = Bu davet kodunu tanımıyoruz. Lütfen her karakteri kontrol edin.
invite-expired = Bu davet kodunun süresi doldu.
invite-used = Bu davet koduyla daha önce bir yer alındı ve o yerin süresi doldu.

## E-posta alanı

notify-label = Sıranız gelince e-posta alın
notify-explain = Ekran başında beklemek zorunda değilsiniz: Sıranız gelmeden kısa süre önce size bir e-posta göndeririz. İçindeki bağlantı sizi yerinize geri getirir.
notify-field = E-posta adresiniz
notify-submit = Bana haber ver
notify-privacy = Adresinizi yalnızca bu tek e-posta gönderilene kadar saklar, sonra sileriz.
notify-thanks = Size yazacağız
notify-thanks-text = Sıranız gelmeden kısa süre önce { $address } adresine bir e-posta göndereceğiz. Bu sayfayı şimdi kapatabilirsiniz; yeriniz sizde kalır.
notify-back = Bekleme sayfasına dön
notify-invalid = Bu bir e-posta adresine benzemiyor. Lütfen girdiğinizi kontrol edin.
notify-already = Bu yer için e-postayı zaten gönderdik. Yalnızca bir kez yazıyoruz.
notify-limited = Bağlantınızdan ya da bu adres için az önce çok fazla kayıt geldi. Lütfen bir saat sonra yeniden deneyin ya da bu sayfayı açık bırakın.
notify-no-place = Henüz sırada bir yeriniz yok. Lütfen önce bekleme sayfasını açın.
notify-called = Sıranız zaten geldi. Bekleme sayfasını açın, içeri alınacaksınız.
notify-unavailable = Şu anda adres alamıyoruz. Lütfen bekleme sayfasını açık bırakın.

## E-posta

letter-subject-soon = Sıranız yaklaştı: { $site }
letter-subject-now = Sıranız geldi: { $site }
letter-soon = “{ $site }” sırasında bekliyorsunuz ve sıranız yaklaştı.
letter-now = “{ $site }” sırasında bekliyorsunuz ve sıranız şimdi geldi.
letter-link = Yerinize dönmek için bu bağlantıyı açın. Sıranız gelir gelmez içeri alınırsınız:
letter-until = Bağlantı yerinizi şu zamana kadar tutar: { $when }. Sonra geçersiz olur.
letter-code = Yer kodunuz: { $code }
letter-footer = Bu mesajı gönderirken e-posta adresinizi sildik. Bu e-posta otomatik olarak gönderildi; yanıtları kimse okumaz.
letter-subject-sold-out = Tüm randevular doldu: { $site }
letter-sold-out = “{ $site }” sırasında bekliyorsunuz. Ne yazık ki bu arada tüm randevular doldu. Şu anda beklemeye devam etmenin bir anlamı yok.
letter-subject-closed = Randevu verme sona erdi: { $site }
letter-closed = “{ $site }” sırasında bekliyordunuz. Randevu verme sona erdi ve boş randevu kalmadı. Beklemeye devam etmenin bir anlamı yok.
letter-kept = Randevular iade edilirse bu bağlantı sizi yerinize geri götürür:
letter-message = Düzenleyenlerden bir not: { $text }

## Sıradan önceki sorular

questions-title = Sıraya girmeden önce
questions-intro = Lütfen bu soruları yanıtlayın. Böylece beklemenin size bir faydası olup olmadığını saatler sonra değil, hemen öğrenirsiniz. Yanıtlarınız saklanmaz; randevu sitesi daha sonra kendisi kontrol eder.
answer-yes = Evet
answer-no = Hayır
questions-submit = Sıraya devam et
questions-incomplete = Lütfen her soruyu evet ya da hayır ile yanıtlayın.
questions-stale = Formun süresi dolmuş. Lütfen soruları yeniden yanıtlayın.
refused-title = Burada randevu alamazsınız
refused-intro = Yanıtlarınıza göre bu sırada beklemek size yardımcı olmaz:
refused-otherwise = Bu durumda burada randevu alamazsınız; bu sırada beklemek size yardımcı olmaz.
change-answers = Yanıtlarımı değiştir

## The way back, and the edges of the morning

have-place = Sırada zaten bir yeriniz mi var – başka bir cihazda mı, yoksa e-posta adresinizi mi bıraktınız? Yer kodunuzla o yeri geri alırsınız. Kod, bekleme sayfanızda ve e-postamızda yazıyor.
join-again = Sıraya yeniden girin
used-up-title = Bu yer zaten kullanıldı
used-up-body = Bu yerle rezervasyon sitesine, bir yerin izin verdiği kadar sık girildi – birkaç tarayıcıda veya uygulamada. E-posta programları bağlantıları çoğu zaman kendi tarayıcılarında açar; bu yüzden bağlantıya her dokunuş sayılır.
used-up-code = Rezervasyon sitesi başka bir pencerede, uygulamada veya cihazda hâlâ açıksa lütfen orada devam edin. Yer kodu ve e-postadaki bağlantı aynı yere götürür; bu yüzden sizi bir kez daha içeri alamaz.
notify-not-ascii = @ işaretinden önce ä, ö, ü, ş, ğ gibi özel harfler bulunan adresleri kullanamıyoruz: birçok posta sunucusu bunları teslim etmez. Lütfen başka bir adres girin. @ işaretinden sonraki özel harfler sorun değildir.
notify-replaced-text = Yeni adresi not ettik: { $address }. Önceki adres silindi. Sıranız gelmeden kısa süre önce oraya bir e-posta göndereceğiz.
notify-changes-used = Bu yerin adresi değiştirilebileceği kadar değiştirildi. E-posta en son verilen adrese gidecek.
notify-code = Yer kodunuz: { $code }. Bir yere yazın: bununla yerinizi her cihazda geri alırsınız, e-postamız gelmeden önce de.
notify-noted = E-posta { $address } adresine gidecek. Bu yanlışsa doğru adresi buraya girin.
notify-change = Adresi değiştir
