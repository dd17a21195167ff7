/**
 * What demo gigs and sellers say, per category and subcategory of the gigs
 * service's fixed taxonomy (services/gigs/taxonomy.ts). Plain data: the
 * generator (seed_data.ts) picks from it with a seeded faker, so the same
 * index always gives the same gig.
 *
 * The seed reads the live taxonomy from `GET /api/v1/gigs/categories`; a
 * subcategory missing here falls back to generic wording built from its name,
 * and an entry here that the taxonomy no longer has is never used.
 */

/** A question a seller asks the buyer at order time. */
export interface RequirementContent {
  question: string;
  type: "text" | "choice";
  choices?: string[];
  required: boolean;
}

/** Wording shared by every subcategory of a category. */
export interface CategoryContent {
  /** What a seller of this category calls themselves ("brand designer"). */
  professions: string[];
  /** Seller skills, ≤ 40 characters each. */
  skills: string[];
  /** `{style}` in title templates. */
  styles: string[];
  /** `{audience}` in title templates. */
  audiences: string[];
  /** Fields of study for a seller's education. */
  studies: string[];
  certifications: { name: string; issuer: string }[];
  requirements: RequirementContent[];
  faq: { question: string; answer: string }[];
}

/** Wording of one subcategory. */
export interface ServiceContent {
  /** Title templates, read after "I will ": `{style}`, `{audience}` are filled in. */
  titles: string[];
  /** Search tags (letters, digits, spaces, hyphens; ≤ 30 characters). */
  tags: string[];
  /** Package descriptions, basic → premium. */
  packages: [string, string, string];
  /** Features from the basic to the premium package (each package takes a longer prefix). */
  features: string[];
  /** Price range of the basic package, in whole units of the currency. */
  price: [number, number];
  /** Delivery days of the basic package. */
  days: [number, number];
}

/** Category wording by category slug. */
export const CATEGORY_CONTENT: Readonly<Record<string, CategoryContent>> = {
  "graphics-design": {
    professions: ["graphic designer", "brand designer", "illustrator", "visual designer"],
    skills: [
      "Adobe Illustrator",
      "Adobe Photoshop",
      "Figma",
      "Brand identity",
      "Typography",
      "Vector illustration",
      "Print design",
      "Colour theory",
      "Packaging",
      "Procreate",
    ],
    styles: [
      "modern",
      "minimalist",
      "bold",
      "elegant",
      "hand-drawn",
      "vintage",
      "playful",
      "clean",
    ],
    audiences: [
      "startup",
      "small business",
      "restaurant",
      "coffee shop",
      "fitness brand",
      "tech company",
      "podcast",
      "online store",
      "real estate agency",
      "bakery",
    ],
    studies: ["Graphic Design", "Visual Communication", "Fine Arts", "Illustration"],
    certifications: [
      { name: "Adobe Certified Professional in Graphic Design", issuer: "Adobe" },
      { name: "Brand Identity Design", issuer: "Domestika" },
      { name: "UI/UX Design Specialization", issuer: "Coursera" },
    ],
    requirements: [
      { question: "What is the name of your brand or business?", type: "text", required: true },
      {
        question: "Which style do you prefer?",
        type: "choice",
        choices: ["Minimalist", "Bold", "Vintage", "Playful", "Let the designer decide"],
        required: true,
      },
      {
        question: "Share any colours, fonts or examples you like (links are fine).",
        type: "text",
        required: false,
      },
      { question: "Who is your target audience?", type: "text", required: false },
    ],
    faq: [
      {
        question: "Will I get the source files?",
        answer: "Yes: every package that lists source files includes the editable AI/PSD files.",
      },
      {
        question: "Do I own the copyright?",
        answer: "Once the order is complete, full rights to the final design are yours.",
      },
      {
        question: "Can you work from my sketch?",
        answer: "Absolutely, a rough sketch or a photo of a napkin drawing is a great start.",
      },
      {
        question: "What if I don't like the first concepts?",
        answer: "Tell me what is missing and I will revise within the revisions of your package.",
      },
      {
        question: "Do you use templates or AI generators?",
        answer: "No. Every design is drawn from scratch for your brand.",
      },
    ],
  },
  "programming-tech": {
    professions: ["full-stack developer", "software engineer", "web developer", "cloud engineer"],
    skills: [
      "TypeScript",
      "React",
      "Node.js",
      "Python",
      "PostgreSQL",
      "Docker",
      "AWS",
      "Flutter",
      "WordPress",
      "Shopify",
      "REST APIs",
      "Next.js",
    ],
    styles: ["responsive", "fast", "secure", "scalable", "modern", "custom", "professional"],
    audiences: [
      "startup",
      "SaaS product",
      "agency",
      "online shop",
      "small business",
      "portfolio",
      "restaurant",
      "nonprofit",
    ],
    studies: ["Computer Science", "Software Engineering", "Information Systems", "Mathematics"],
    certifications: [
      { name: "AWS Certified Solutions Architect", issuer: "Amazon Web Services" },
      { name: "Professional Cloud Developer", issuer: "Google Cloud" },
      { name: "Meta Front-End Developer", issuer: "Coursera" },
      { name: "Certified Kubernetes Application Developer", issuer: "CNCF" },
    ],
    requirements: [
      { question: "Describe the project and what it should do.", type: "text", required: true },
      {
        question: "Do you already have a codebase or hosting?",
        type: "choice",
        choices: ["No, start from scratch", "Yes, existing code", "Yes, hosting only"],
        required: true,
      },
      {
        question: "Share links to sites or apps you like, and any designs you have.",
        type: "text",
        required: false,
      },
      { question: "Is there a deadline I should know about?", type: "text", required: false },
    ],
    faq: [
      {
        question: "Will I get the full source code?",
        answer: "Yes, in a Git repository you own, with a README on how to run and deploy it.",
      },
      {
        question: "Do you provide support after delivery?",
        answer: "Bugs in what I built are fixed free of charge for 30 days after delivery.",
      },
      {
        question: "Can you work on my existing project?",
        answer: "Yes. Please message me first so I can look at the code before you order.",
      },
      {
        question: "Do you deploy the result?",
        answer: "The standard and premium packages include deployment to your hosting.",
      },
      {
        question: "Do you sign an NDA?",
        answer: "Of course, send it over before we start.",
      },
    ],
  },
  "writing-translation": {
    professions: ["copywriter", "content writer", "translator", "editor"],
    skills: [
      "Copywriting",
      "SEO writing",
      "Proofreading",
      "Editing",
      "Translation",
      "Research",
      "Storytelling",
      "Technical writing",
      "AP style",
      "Grammarly",
    ],
    styles: ["engaging", "persuasive", "SEO-friendly", "professional", "clear", "compelling"],
    audiences: [
      "blog",
      "website",
      "startup",
      "tech company",
      "travel brand",
      "health brand",
      "ecommerce store",
      "B2B company",
    ],
    studies: ["English Literature", "Journalism", "Linguistics", "Communications"],
    certifications: [
      { name: "Content Marketing Certification", issuer: "HubSpot Academy" },
      { name: "Certified Translator", issuer: "American Translators Association" },
      { name: "Copywriting Fundamentals", issuer: "LinkedIn Learning" },
    ],
    requirements: [
      { question: "What is the topic, and who will read it?", type: "text", required: true },
      {
        question: "Which tone should the text have?",
        type: "choice",
        choices: ["Formal", "Friendly", "Witty", "Technical"],
        required: true,
      },
      { question: "List any keywords or sources I should use.", type: "text", required: false },
    ],
    faq: [
      {
        question: "Is the writing original?",
        answer: "Every text is written for you and checked for plagiarism before delivery.",
      },
      {
        question: "Do you use AI to write?",
        answer: "No. I research and write every piece myself.",
      },
      {
        question: "Can you match my brand voice?",
        answer: "Yes, share a few texts you like and I will follow their tone.",
      },
      {
        question: "Which formats do you deliver?",
        answer: "Google Docs or Word by default; Markdown or HTML on request.",
      },
    ],
  },
  "digital-marketing": {
    professions: ["digital marketer", "SEO specialist", "growth marketer", "social media manager"],
    skills: [
      "SEO",
      "Google Ads",
      "Meta Ads",
      "Google Analytics",
      "Keyword research",
      "Mailchimp",
      "Klaviyo",
      "Content strategy",
      "Link building",
      "Ahrefs",
    ],
    styles: ["data-driven", "complete", "monthly", "professional", "white-hat", "targeted"],
    audiences: [
      "Shopify store",
      "local business",
      "SaaS company",
      "website",
      "brand",
      "ecommerce store",
      "startup",
      "coaching business",
    ],
    studies: ["Marketing", "Business Administration", "Communications", "Economics"],
    certifications: [
      { name: "Google Ads Search Certification", issuer: "Google" },
      { name: "Google Analytics Certification", issuer: "Google" },
      { name: "Meta Certified Digital Marketing Associate", issuer: "Meta" },
      { name: "Inbound Marketing Certification", issuer: "HubSpot Academy" },
    ],
    requirements: [
      { question: "What is your website or page?", type: "text", required: true },
      {
        question: "What is the main goal?",
        type: "choice",
        choices: ["More traffic", "More sales", "More leads", "Brand awareness"],
        required: true,
      },
      { question: "Who are your main competitors?", type: "text", required: false },
      { question: "What is your monthly budget for ads, if any?", type: "text", required: false },
    ],
    faq: [
      {
        question: "Can you guarantee first place on Google?",
        answer: "Nobody honest can. I use white-hat methods that build lasting rankings.",
      },
      {
        question: "Is the ad budget included?",
        answer: "No, the ad spend is paid by you directly to the platform.",
      },
      {
        question: "Will I get a report?",
        answer: "Yes, every package ends with a report of what was done and what to do next.",
      },
      {
        question: "How soon will I see results?",
        answer: "Ads show results within days; SEO usually takes two to three months.",
      },
    ],
  },
  "video-animation": {
    professions: ["video editor", "motion designer", "animator", "filmmaker"],
    skills: [
      "Adobe Premiere Pro",
      "After Effects",
      "DaVinci Resolve",
      "Final Cut Pro",
      "Motion graphics",
      "Colour grading",
      "2D animation",
      "Storyboarding",
      "Sound design",
    ],
    styles: ["cinematic", "dynamic", "engaging", "professional", "eye-catching", "smooth"],
    audiences: [
      "YouTube channel",
      "brand",
      "startup",
      "product launch",
      "TikTok",
      "Instagram Reels",
      "wedding",
      "course",
    ],
    studies: ["Film Production", "Animation", "Media Studies", "Digital Media"],
    certifications: [
      { name: "Adobe Certified Professional in Video Design", issuer: "Adobe" },
      { name: "DaVinci Resolve Certified Editor", issuer: "Blackmagic Design" },
    ],
    requirements: [
      { question: "Share your footage or assets (a download link).", type: "text", required: true },
      {
        question: "Which format do you need?",
        type: "choice",
        choices: ["16:9 landscape", "9:16 vertical", "1:1 square"],
        required: true,
      },
      { question: "Any reference videos you like?", type: "text", required: false },
    ],
    faq: [
      {
        question: "Is music included?",
        answer: "Yes, I use royalty-free tracks licensed for commercial use.",
      },
      {
        question: "Which resolution do you deliver?",
        answer: "Full HD by default; 4K in the premium package.",
      },
      {
        question: "How do I send large files?",
        answer: "Any link works: Google Drive, Dropbox or WeTransfer.",
      },
      {
        question: "Can you add subtitles?",
        answer: "Yes, subtitles are included in the standard and premium packages.",
      },
    ],
  },
  "music-audio": {
    professions: ["audio engineer", "music producer", "voice actor", "sound designer"],
    skills: [
      "Pro Tools",
      "Logic Pro",
      "Ableton Live",
      "Mixing",
      "Mastering",
      "Voice acting",
      "Audio restoration",
      "Sound design",
      "Songwriting",
    ],
    styles: ["professional", "warm", "radio-ready", "natural", "crisp", "studio-quality"],
    audiences: [
      "podcast",
      "YouTube video",
      "audiobook",
      "commercial",
      "game",
      "single",
      "EP",
      "explainer video",
    ],
    studies: ["Music Production", "Audio Engineering", "Music", "Sound Design"],
    certifications: [
      { name: "Avid Certified User: Pro Tools", issuer: "Avid" },
      { name: "Logic Pro Certified Pro", issuer: "Apple" },
      { name: "Ableton Certified Trainer", issuer: "Ableton" },
    ],
    requirements: [
      { question: "Upload or link your audio files or script.", type: "text", required: true },
      {
        question: "Which genre or style fits best?",
        type: "choice",
        choices: ["Pop", "Rock", "Hip hop", "Electronic", "Spoken word"],
        required: false,
      },
      { question: "Share a reference track or recording you like.", type: "text", required: false },
    ],
    faq: [
      {
        question: "Which file formats do you deliver?",
        answer: "WAV 24-bit and MP3 320 kbps; other formats on request.",
      },
      {
        question: "Do you have a professional studio?",
        answer: "Yes, a treated room with professional microphones and monitors.",
      },
      {
        question: "Can I use the result commercially?",
        answer: "Yes, commercial rights are included in every package.",
      },
    ],
  },
  "business": {
    professions: ["business consultant", "virtual assistant", "financial analyst", "researcher"],
    skills: [
      "Excel",
      "Financial modelling",
      "Market research",
      "Business planning",
      "Data entry",
      "Project management",
      "Notion",
      "QuickBooks",
      "PowerPoint",
    ],
    styles: ["detailed", "professional", "investor-ready", "thorough", "reliable", "custom"],
    audiences: [
      "startup",
      "small business",
      "ecommerce brand",
      "consultancy",
      "restaurant",
      "agency",
      "nonprofit",
    ],
    studies: ["Business Administration", "Finance", "Economics", "Accounting"],
    certifications: [
      { name: "Chartered Financial Analyst Level I", issuer: "CFA Institute" },
      { name: "Project Management Professional", issuer: "PMI" },
      { name: "Microsoft Office Specialist: Excel Expert", issuer: "Microsoft" },
    ],
    requirements: [
      { question: "Tell me about your business and the goal.", type: "text", required: true },
      {
        question: "Which stage is your business in?",
        type: "choice",
        choices: ["Idea", "Pre-launch", "Up to 2 years", "Established"],
        required: true,
      },
      { question: "Share any documents or data I should use.", type: "text", required: false },
    ],
    faq: [
      {
        question: "Is my information kept confidential?",
        answer: "Always, and I am happy to sign your NDA.",
      },
      {
        question: "Which tools do you use?",
        answer: "Excel or Google Sheets, Notion, and whatever your team already works with.",
      },
      {
        question: "Can we have a call first?",
        answer: "Yes, send me a message and we will find a time.",
      },
    ],
  },
};

/** Subcategory wording by subcategory slug. */
export const SERVICE_CONTENT: Readonly<Record<string, ServiceContent>> = {
  "logo-design": {
    titles: [
      "design a {style} logo for your {audience}",
      "create a unique {style} logo with full brand files",
      "design {style} logo concepts for your {audience}",
      "make a {style} wordmark logo for your {audience}",
    ],
    tags: ["logo", "logo design", "branding", "minimalist logo", "brand identity", "vector"],
    packages: [
      "One logo concept, high-resolution PNG and JPG",
      "Three logo concepts, vector files and transparent background",
      "Five concepts, full source files, social media kit and stationery",
    ],
    features: [
      "Logo transparency",
      "High-resolution files",
      "Vector file",
      "Printable file",
      "Source file",
      "Social media kit",
      "Stationery designs",
      "3D mockup",
    ],
    price: [15, 120],
    days: [2, 5],
  },
  "brand-style-guides": {
    titles: [
      "create a {style} brand style guide for your {audience}",
      "design a complete brand identity kit for your {audience}",
      "build a {style} brand book with logo usage rules",
    ],
    tags: ["brand guide", "style guide", "brand identity", "brand book", "branding"],
    packages: [
      "A one-page guide: logo usage, colours and fonts",
      "A 10-page brand book with typography and imagery rules",
      "A 25-page brand book, templates and social media guidelines",
    ],
    features: [
      "Colour palette",
      "Typography",
      "Logo usage",
      "Brand voice",
      "Imagery style",
      "Source file",
      "Social media templates",
    ],
    price: [40, 250],
    days: [3, 7],
  },
  "illustration": {
    titles: [
      "draw a {style} illustration for your {audience}",
      "create {style} digital illustrations for books and covers",
      "illustrate a {style} character for your {audience}",
    ],
    tags: ["illustration", "digital art", "character design", "drawing", "cartoon", "art"],
    packages: [
      "One simple illustration, no background",
      "One detailed illustration with a simple background",
      "One detailed full-scene illustration with commercial use",
    ],
    features: [
      "High-resolution file",
      "Commercial use",
      "Colour",
      "Background",
      "Source file",
      "Additional character",
      "Sketch approval",
    ],
    price: [20, 150],
    days: [3, 8],
  },
  "web-design": {
    titles: [
      "design a {style} website UI in Figma for your {audience}",
      "create a {style} landing page design for your {audience}",
      "design a {style} responsive website mockup",
    ],
    tags: ["website design", "figma", "ui design", "landing page", "web ui", "ux"],
    packages: [
      "A landing page design, desktop only",
      "Up to 5 pages, desktop and mobile",
      "Up to 10 pages, design system and clickable prototype",
    ],
    features: [
      "Responsive design",
      "Source file",
      "Custom graphics",
      "Mobile version",
      "Prototype",
      "Design system",
      "Content upload",
    ],
    price: [50, 300],
    days: [3, 10],
  },
  "packaging-design": {
    titles: [
      "design {style} product packaging and labels",
      "create a {style} label design for your {audience}",
      "design a print-ready {style} box for your product",
    ],
    tags: ["packaging", "label design", "box design", "product label", "print design"],
    packages: [
      "One label or sleeve design, print-ready PDF",
      "A box or bag design with dieline and 3D mockup",
      "A packaging range of 3 products with source files",
    ],
    features: [
      "Print-ready file",
      "3D mockup",
      "Source file",
      "Dieline",
      "Commercial use",
      "Product variations",
    ],
    price: [30, 200],
    days: [3, 7],
  },
  "social-media-design": {
    titles: [
      "design {style} social media posts for your {audience}",
      "create {style} Instagram templates for your {audience}",
      "design eye-catching banners and covers for your {audience}",
    ],
    tags: ["social media", "instagram post", "canva", "banner", "templates", "facebook"],
    packages: [
      "5 post designs",
      "15 post designs and 5 stories",
      "30 post designs, 10 stories and editable Canva templates",
    ],
    features: [
      "Source file",
      "Commercial use",
      "Stories",
      "Editable templates",
      "Animated posts",
      "Content calendar",
    ],
    price: [15, 90],
    days: [1, 4],
  },
  "web-development": {
    titles: [
      "build a {style} website for your {audience} with React",
      "develop a {style} web app with Next.js and Node",
      "fix bugs and add features to your website",
      "build a {style} landing page for your {audience}",
    ],
    tags: ["website", "react", "nextjs", "web development", "nodejs", "full stack"],
    packages: [
      "A one-page responsive website",
      "Up to 5 pages with a contact form and CMS",
      "A full web app with accounts, admin panel and API",
    ],
    features: [
      "Responsive design",
      "Content upload",
      "Contact form",
      "Speed optimization",
      "Hosting setup",
      "CMS integration",
      "User accounts",
      "Admin panel",
    ],
    price: [80, 600],
    days: [3, 14],
  },
  "mobile-apps": {
    titles: [
      "develop a {style} Flutter app for iOS and Android",
      "build a {style} React Native app for your {audience}",
      "create a {style} mobile app MVP for your {audience}",
    ],
    tags: ["mobile app", "flutter", "react native", "ios", "android", "app development"],
    packages: [
      "A 3-screen app prototype",
      "An app with up to 10 screens and a backend",
      "A complete app with payments, push notifications and store release",
    ],
    features: [
      "Source code",
      "Android app",
      "iOS app",
      "Backend API",
      "Push notifications",
      "Payments",
      "App store submission",
    ],
    price: [150, 900],
    days: [7, 21],
  },
  "wordpress": {
    titles: [
      "build a {style} WordPress website for your {audience}",
      "fix WordPress errors and speed up your site",
      "customize your WordPress theme with Elementor",
    ],
    tags: ["wordpress", "elementor", "wordpress website", "woocommerce", "website"],
    packages: [
      "One page or one fix",
      "A 5-page site with theme setup and plugins",
      "A 10-page site with WooCommerce, SEO and speed setup",
    ],
    features: [
      "Theme installation",
      "Responsive design",
      "Plugins setup",
      "Content upload",
      "Speed optimization",
      "Security setup",
      "E-commerce functionality",
    ],
    price: [40, 300],
    days: [2, 7],
  },
  "ecommerce-development": {
    titles: [
      "build a {style} Shopify store for your {audience}",
      "set up a {style} WooCommerce store for your {audience}",
      "design and develop a {style} dropshipping store",
    ],
    tags: ["shopify", "ecommerce", "online store", "woocommerce", "dropshipping"],
    packages: [
      "Theme setup and up to 10 products",
      "A custom store with 50 products and payments",
      "A premium store with custom sections, apps and 200 products",
    ],
    features: [
      "Theme installation",
      "Payment gateway",
      "Product upload",
      "Responsive design",
      "Custom sections",
      "App integration",
      "Speed optimization",
    ],
    price: [100, 500],
    days: [3, 10],
  },
  "data-science": {
    titles: [
      "analyze your data with Python and build {style} dashboards",
      "build a {style} machine learning model for your {audience}",
      "create {style} data visualizations and reports",
    ],
    tags: ["data science", "python", "machine learning", "data analysis", "pandas", "dashboard"],
    packages: [
      "A short analysis of one dataset with charts",
      "A full analysis with a model and a written report",
      "An end-to-end model with an API and a dashboard",
    ],
    features: [
      "Source code",
      "Data cleaning",
      "Visualizations",
      "Written report",
      "Model training",
      "Dashboard",
      "Deployment",
    ],
    price: [60, 400],
    days: [3, 10],
  },
  "devops-cloud": {
    titles: [
      "set up {style} CI/CD pipelines with GitHub Actions",
      "deploy your app to AWS with Docker and Terraform",
      "configure a {style} Kubernetes cluster for your {audience}",
    ],
    tags: ["devops", "aws", "docker", "kubernetes", "ci cd", "terraform"],
    packages: [
      "Dockerize one app or fix one pipeline",
      "A CI/CD pipeline and cloud deployment",
      "Infrastructure as code, monitoring and autoscaling",
    ],
    features: [
      "Dockerfile",
      "CI/CD pipeline",
      "Cloud deployment",
      "SSL setup",
      "Infrastructure as code",
      "Monitoring",
      "Documentation",
    ],
    price: [50, 400],
    days: [2, 7],
  },
  "articles-blog-posts": {
    titles: [
      "write {style} blog posts for your {audience}",
      "write {style} long-form articles that rank on Google",
      "research and write in-depth articles on any topic",
    ],
    tags: ["blog post", "article writing", "seo writing", "content writing", "blog"],
    packages: [
      "One 500-word article",
      "One 1,000-word article with SEO keywords",
      "One 2,000-word pillar article with images and meta description",
    ],
    features: [
      "Topic research",
      "SEO keywords",
      "References",
      "Meta description",
      "Images sourced",
      "Plagiarism report",
    ],
    price: [15, 100],
    days: [2, 5],
  },
  "copywriting": {
    titles: [
      "write {style} website copy for your {audience}",
      "write {style} sales copy that converts",
      "write {style} product descriptions for your {audience}",
    ],
    tags: ["copywriting", "website copy", "sales page", "product description", "ad copy"],
    packages: [
      "Copy for one page or 5 product descriptions",
      "Copy for 3 pages or 15 product descriptions",
      "Copy for a 5-page site with headlines and calls to action",
    ],
    features: [
      "Headlines",
      "Calls to action",
      "SEO keywords",
      "Brand voice",
      "Proofreading",
      "A/B variants",
    ],
    price: [25, 200],
    days: [2, 6],
  },
  "translation": {
    titles: [
      "translate English to Spanish, French or German accurately",
      "translate your {audience} content accurately and naturally",
      "provide professional human translation of your documents",
    ],
    tags: ["translation", "english", "spanish", "german", "french", "localization"],
    packages: [
      "Up to 500 words",
      "Up to 2,000 words with proofreading",
      "Up to 5,000 words, proofread and formatted",
    ],
    features: ["Proofreading", "Formatting", "Native speaker", "Glossary", "Express delivery"],
    price: [10, 80],
    days: [1, 4],
  },
  "proofreading-editing": {
    titles: [
      "proofread and edit your English text for your {audience}",
      "edit your book, thesis or {style} web content",
      "proofread your {audience} content in 24 hours",
    ],
    tags: ["proofreading", "editing", "grammar", "copy editing", "book editing"],
    packages: [
      "Up to 1,000 words",
      "Up to 5,000 words with style suggestions",
      "Up to 15,000 words, line edit and a summary of changes",
    ],
    features: [
      "Grammar and spelling",
      "Track changes",
      "Style suggestions",
      "Formatting",
      "Line editing",
      "Summary of changes",
    ],
    price: [10, 70],
    days: [1, 4],
  },
  "resume-writing": {
    titles: [
      "write a {style} resume and cover letter",
      "rewrite your CV for a career change",
      "optimize your LinkedIn profile and resume",
    ],
    tags: ["resume", "cv", "cover letter", "linkedin", "career"],
    packages: [
      "A resume review with edits",
      "A rewritten resume and a cover letter",
      "A resume, cover letter and LinkedIn profile",
    ],
    features: ["ATS-friendly", "Editable file", "Cover letter", "LinkedIn profile", "Career call"],
    price: [20, 120],
    days: [2, 5],
  },
  "seo": {
    titles: [
      "do {style} on-page SEO for your {audience}",
      "do a complete technical SEO audit of your website",
      "do {style} keyword research for your {audience}",
      "build {style} backlinks for your {audience}",
    ],
    tags: ["seo", "on page seo", "keyword research", "backlinks", "seo audit", "google ranking"],
    packages: [
      "A keyword list and an audit of 5 pages",
      "On-page optimization of 10 pages",
      "A full audit, on-page work for 25 pages and a 3-month plan",
    ],
    features: [
      "Keyword research",
      "Page optimization",
      "Meta tags",
      "Technical audit",
      "Competitor analysis",
      "Content plan",
      "Monthly report",
    ],
    price: [30, 250],
    days: [3, 10],
  },
  "social-media-marketing": {
    titles: [
      "be the social media manager of your {audience}",
      "grow your {audience} on Instagram organically",
      "run {style} Facebook and Instagram ads for your {audience}",
    ],
    tags: ["social media", "instagram", "facebook ads", "social media manager", "tiktok"],
    packages: [
      "One week of posts on one platform",
      "One month of posts on two platforms",
      "One month on three platforms with ads management",
    ],
    features: [
      "Content calendar",
      "Post design",
      "Captions and hashtags",
      "Community management",
      "Ads management",
      "Monthly report",
    ],
    price: [40, 300],
    days: [5, 14],
  },
  "email-marketing": {
    titles: [
      "set up {style} Klaviyo email flows for your {audience}",
      "write and design {style} email newsletters",
      "build a {style} Mailchimp campaign for your {audience}",
    ],
    tags: ["email marketing", "klaviyo", "mailchimp", "newsletter", "email flows"],
    packages: [
      "One email campaign",
      "Welcome and abandoned-cart flows",
      "Full automation: 5 flows, templates and list segmentation",
    ],
    features: [
      "Template design",
      "Copywriting",
      "List segmentation",
      "Automation flows",
      "A/B testing",
      "Analytics report",
    ],
    price: [40, 300],
    days: [3, 10],
  },
  "content-marketing": {
    titles: [
      "create a {style} content marketing strategy for your {audience}",
      "plan {style} content that brings your {audience} leads",
      "build a 3-month content calendar for your {audience}",
    ],
    tags: ["content marketing", "content strategy", "content calendar", "marketing plan"],
    packages: [
      "A one-month content plan",
      "A three-month strategy with topics and channels",
      "A six-month strategy with personas, calendar and KPIs",
    ],
    features: [
      "Audience research",
      "Topic ideas",
      "Content calendar",
      "Channel plan",
      "Personas",
      "KPIs",
    ],
    price: [50, 300],
    days: [3, 10],
  },
  "search-engine-marketing": {
    titles: [
      "set up and manage {style} Google Ads campaigns",
      "optimize your Google Ads for a better ROAS",
      "run {style} PPC campaigns for your {audience}",
    ],
    tags: ["google ads", "ppc", "sem", "adwords", "search ads"],
    packages: [
      "One search campaign",
      "Search and display campaigns with conversion tracking",
      "Full account build with shopping campaigns and 30 days of management",
    ],
    features: [
      "Keyword research",
      "Ad copy",
      "Conversion tracking",
      "Campaign setup",
      "Bid optimization",
      "Weekly report",
    ],
    price: [60, 400],
    days: [3, 7],
  },
  "video-editing": {
    titles: [
      "edit your YouTube videos with a {style} look",
      "do {style} video editing for your {audience}",
      "edit a {style} wedding or event film",
    ],
    tags: ["video editing", "youtube", "premiere pro", "color grading", "vlog"],
    packages: [
      "Up to 5 minutes of edited video",
      "Up to 15 minutes with colour grading and subtitles",
      "Up to 30 minutes with motion graphics and sound design",
    ],
    features: [
      "Colour grading",
      "Background music",
      "Subtitles",
      "Sound design",
      "Motion graphics",
      "Thumbnail",
      "4K export",
    ],
    price: [20, 150],
    days: [2, 6],
  },
  "animated-explainers": {
    titles: [
      "create a {style} 2D animated explainer video",
      "make a {style} whiteboard animation for your {audience}",
      "animate a {style} explainer for your {audience}",
    ],
    tags: ["explainer video", "animation", "2d animation", "whiteboard", "motion graphics"],
    packages: [
      "A 30-second explainer",
      "A 60-second explainer with voice over",
      "A 90-second explainer with script, voice over and custom characters",
    ],
    features: [
      "Script writing",
      "Storyboard",
      "Voice over",
      "Background music",
      "Custom characters",
      "Subtitles",
      "4K export",
    ],
    price: [80, 500],
    days: [5, 14],
  },
  "logo-animation": {
    titles: [
      "animate your logo into a {style} intro",
      "create a {style} logo reveal for your {audience}",
      "make a {style} 3D logo animation",
    ],
    tags: ["logo animation", "intro", "logo reveal", "after effects", "motion"],
    packages: [
      "A 5-second logo reveal",
      "A 10-second reveal with sound effects",
      "A 15-second 3D reveal with 4K and transparent versions",
    ],
    features: ["Sound effects", "HD export", "4K export", "Transparent background", "Source file"],
    price: [15, 100],
    days: [1, 4],
  },
  "short-video-ads": {
    titles: [
      "create {style} short video ads for TikTok and Reels",
      "make a {style} product video ad for your {audience}",
      "edit {style} UGC ads for your {audience}",
    ],
    tags: ["video ads", "tiktok", "reels", "ugc", "product video"],
    packages: [
      "One 15-second ad",
      "Three 30-second ads in two formats",
      "Five ads with hooks, subtitles and A/B variants",
    ],
    features: [
      "Script",
      "Subtitles",
      "Background music",
      "Vertical format",
      "A/B variants",
      "Source file",
    ],
    price: [30, 200],
    days: [2, 6],
  },
  "voice-over": {
    titles: [
      "record a {style} voice over for your {audience}",
      "be the {style} voice of your {audience}",
      "record a {style} narration for your audiobook",
    ],
    tags: ["voice over", "voiceover", "narration", "voice actor", "audiobook"],
    packages: [
      "Up to 100 words",
      "Up to 500 words with background music",
      "Up to 1,500 words, commercial rights and synced to video",
    ],
    features: [
      "Studio quality",
      "Background music",
      "Sound effects",
      "Synced to video",
      "Commercial use",
      "Script editing",
    ],
    price: [10, 80],
    days: [1, 3],
  },
  "mixing-mastering": {
    titles: [
      "mix and master your song to a {style} sound",
      "master your music for streaming platforms",
      "professionally mix your tracks for a {style} sound",
    ],
    tags: ["mixing", "mastering", "mix and master", "audio engineer", "music"],
    packages: [
      "Mastering of one song",
      "Mixing and mastering of one song, up to 24 stems",
      "Mixing and mastering of one song, unlimited stems and vocal tuning",
    ],
    features: [
      "Mastering",
      "Mixing",
      "Vocal tuning",
      "Stems",
      "Streaming-ready files",
      "Instrumental version",
    ],
    price: [20, 150],
    days: [2, 5],
  },
  "music-production": {
    titles: [
      "produce a {style} beat for your {audience}",
      "compose {style} original music for your {audience}",
      "produce a {style} instrumental for your song",
    ],
    tags: ["music production", "beat", "instrumental", "composer", "producer"],
    packages: [
      "A 60-second track",
      "A full-length track with mixing",
      "A full track with stems, mixing, mastering and commercial rights",
    ],
    features: ["Mixing", "Mastering", "Stems", "Commercial use", "Session musicians", "Lyrics"],
    price: [30, 250],
    days: [3, 8],
  },
  "podcast-editing": {
    titles: [
      "edit your podcast episode for a {style} sound",
      "clean up and mix your podcast audio for a {style} sound",
      "produce your podcast with show notes",
    ],
    tags: ["podcast", "podcast editing", "audio editing", "show notes", "noise removal"],
    packages: [
      "Up to 30 minutes of audio",
      "Up to 60 minutes with intro, outro and show notes",
      "Up to 90 minutes with video version and audiograms",
    ],
    features: [
      "Noise removal",
      "Intro and outro",
      "Music mixing",
      "Show notes",
      "Transcript",
      "Video version",
    ],
    price: [20, 120],
    days: [1, 4],
  },
  "virtual-assistant": {
    titles: [
      "be your reliable virtual assistant for your {audience}",
      "do accurate data entry and web research",
      "manage your inbox and calendar for your {audience}",
    ],
    tags: ["virtual assistant", "data entry", "admin support", "research", "excel"],
    packages: [
      "5 hours of assistance",
      "15 hours of assistance",
      "40 hours of assistance with a weekly report",
    ],
    features: [
      "Data entry",
      "Web research",
      "Email management",
      "Calendar management",
      "Weekly report",
    ],
    price: [15, 80],
    days: [1, 5],
  },
  "market-research": {
    titles: [
      "do {style} market research for your {audience}",
      "write a {style} competitor analysis for your {audience}",
      "research your target market and customers",
    ],
    tags: ["market research", "competitor analysis", "industry research", "survey", "swot"],
    packages: [
      "A competitor overview of 5 companies",
      "A market report with sizing and customer profiles",
      "A full report with survey, interviews and recommendations",
    ],
    features: [
      "Competitor analysis",
      "Market sizing",
      "SWOT analysis",
      "Customer personas",
      "Survey",
      "Presentation",
    ],
    price: [50, 300],
    days: [3, 10],
  },
  "business-plans": {
    titles: [
      "write a {style} business plan for your {audience}",
      "create a {style} pitch deck for your {audience}",
      "write a {style} business plan with financial projections",
    ],
    tags: ["business plan", "pitch deck", "startup", "investor", "financial projections"],
    packages: [
      "A one-page lean plan",
      "A full business plan with 3-year projections",
      "A business plan, financial model and a pitch deck",
    ],
    features: [
      "Executive summary",
      "Market analysis",
      "Financial projections",
      "Editable file",
      "Pitch deck",
      "Financial model",
    ],
    price: [80, 500],
    days: [4, 14],
  },
  "financial-consulting": {
    titles: [
      "build a {style} financial model for your {audience}",
      "do accurate bookkeeping in QuickBooks or Xero",
      "review your finances and create a {style} budget",
    ],
    tags: ["financial model", "bookkeeping", "quickbooks", "budget", "excel", "cash flow"],
    packages: [
      "One month of bookkeeping or a simple model",
      "A three-statement model with scenarios",
      "A full model with valuation, dashboard and a call",
    ],
    features: [
      "Editable spreadsheet",
      "Cash flow forecast",
      "Scenarios",
      "Valuation",
      "Dashboard",
      "Consultation call",
    ],
    price: [50, 400],
    days: [3, 10],
  },
};
